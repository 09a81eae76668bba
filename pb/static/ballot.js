// Live running total on the ballot page. The page works without this file: its
// "Update total" button asks the server for the same figures.
(function () {
  "use strict";

  function format(amount, locale) {
    try {
      return new Intl.NumberFormat(locale || undefined, {
        style: "currency", currency: "EUR", maximumFractionDigits: 0
      }).format(amount);
    } catch (error) {
      return amount + " €";
    }
  }

  function update(pot) {
    var total = 0;
    var boxes = pot.querySelectorAll("input[type=checkbox][data-cost]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) {
        // Costs are whole euros: integer arithmetic, no fractions.
        total += parseInt(boxes[i].getAttribute("data-cost"), 10) || 0;
      }
    }
    var output = pot.querySelector(".ballot-total-value");
    if (output) {
      output.textContent = format(total, output.getAttribute("data-locale"));
    }
    var budget = parseInt(pot.getAttribute("data-budget"), 10);
    var over = pot.getAttribute("data-knapsack") === "1" && total > budget;
    pot.classList.toggle("is-over-budget", over);
  }

  function init() {
    var pots = document.querySelectorAll(".ballot-pot");
    for (var i = 0; i < pots.length; i++) {
      (function (pot) {
        pot.addEventListener("change", function () { update(pot); });
        update(pot);
      })(pots[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
