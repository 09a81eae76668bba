"""A Hypothesis state machine over the round services: every action succeeds exactly in the
phases (and states) where it is allowed, and the configuration frozen when voting opens never
changes afterwards."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from pb.extensions import db
from pb.models import PHASE_ORDER, BallotChannel, Phase, Role
from pb.services import ServiceError
from pb.services import areas as area_service
from pb.services import proposals as proposal_services
from pb.services import results as results_services
from pb.services import round_phases
from pb.services import rounds as round_services
from pb.services import screening
from pb.services.voting import account_reference, cast_ballot
from tests.pb.factories import make_user

_serial = itertools.count(1)
#: What the runs reached, so that the test fails if it never exercises the later phases.
REACHED: set = set()
CONFIRMATION = {"body": "City board", "confirmed_by": "Chair", "decision_reference": "§ 9"}


def make_machine(clock):
    class RoundLifecycle(RuleBasedStateMachine):
        """Model: the phase, whether counted, confirmed, published; what was frozen."""

        def __init__(self) -> None:
            super().__init__()
            self.admin = make_user(roles=(Role.ADMINISTRATOR,))
            self.moderator = make_user(roles=(Role.MODERATOR,))
            self.resident = make_user()
            self.round = round_services.create_round(self.admin, {"name_fi": f"Kierros {next(_serial)}"})
            self.area = area_service.add_area(self.admin, self.round, {"code": "north", "name_fi": "Pohjoinen",
                                                                         "budget": 100_000})
            self.phase = Phase.PROPOSALS
            self.has_run = self.confirmed = self.published = False
            self.frozen: tuple[str, str] | None = None
            self.projects = 0

        # Helpers ---------------------------------------------------------------------------

        def attempt(self, allowed: bool, action, *args, **kwargs):
            """Run a service call; it must succeed exactly when the model allows it."""
            try:
                result = action(*args, **kwargs)
            except ServiceError as error:
                db.session.rollback()
                assert not allowed, f"{action.__name__} refused in {self.phase}: {error}"
                return None
            assert allowed, f"{action.__name__} succeeded in {self.phase}"
            return True if result is None else result

        @property
        def is_frozen(self) -> bool:
            return self.phase.index >= Phase.VOTING.index

        # Rules -----------------------------------------------------------------------------

        @initialize(cost=st.integers(1, 60_000))
        def first_project(self, cost):
            self.add_project(cost)

        @rule(steps=st.integers(1, 2))
        def advance(self, steps):
            for _ in range(steps):
                self.advance_once()

        def advance_once(self):
            if self.phase is Phase.FOLLOW_UP:
                allowed = False
                target = Phase.FOLLOW_UP
            else:
                target = PHASE_ORDER[self.phase.index + 1]
                allowed = (target is not Phase.VOTING or self.projects > 0) and (
                    target is not Phase.FOLLOW_UP or self.published)
            if self.attempt(allowed, round_phases.advance_phase, self.admin, self.round, target) is not None:
                self.phase = target
                if target is Phase.VOTING:
                    self.frozen = (self.round.config_digest, self.round.frozen_config_json)

        @rule(cost=st.integers(1, 60_000))
        def add_project(self, cost):
            values = {"title_fi": "Hanke", "area_id": self.area.id, "cost": cost}
            if self.attempt(not self.is_frozen, screening.create_project, self.moderator, self.round, values):
                self.projects += 1

        @rule(cost=st.integers(1, 60_000), pick=st.integers(0, 100))
        def change_project_cost(self, cost, pick):
            if self.area.projects:
                project = self.area.projects[pick % len(self.area.projects)]
                self.attempt(not self.is_frozen, screening.update_project, self.moderator, project, {"cost": cost})

        @rule(pick=st.integers(0, 100))
        def remove_project(self, pick):
            if self.area.projects:
                project = self.area.projects[pick % len(self.area.projects)]
                if self.attempt(not self.is_frozen, screening.delete_project, self.moderator, project):
                    self.projects -= 1
                db.session.expire(self.area)

        @rule()
        def submit_proposal(self):
            values = {"title_fi": "Idea", "description_fi": "Kuvaus", "area_id": self.area.id}
            self.attempt(self.phase is Phase.PROPOSALS, proposal_services.submit_proposal, self.resident,
                         self.round, values)

        @rule(rule_name=st.sampled_from(["greedy", "mes", "phragmen"]), tie=st.sampled_from(["cost,id", "votes,id-desc"]))
        def change_rule(self, rule_name, tie):
            if (rule_name, tie) == (self.round.rule, self.round.tie_break):
                return
            self.attempt(not self.is_frozen, round_services.update_round, self.admin, self.round,
                         {"rule": rule_name, "tie_break": tie, "rule_options": "{}"})

        @rule(budget=st.integers(60_000, 200_000))
        def change_budget(self, budget):
            if budget == self.area.budget:
                return
            self.attempt(not self.is_frozen, area_service.update_area, self.admin, self.area, {"budget": budget})

        @rule(pick=st.integers(0, 1000))
        def cast(self, pick):
            project_ids = [str(p.id) for p in self.area.projects] or ["1"]
            choice = [project_ids[pick % len(project_ids)]]
            self.attempt(self.phase is Phase.VOTING, cast_ballot, self.round.id, self.area.id, {self.area.id: choice},
                         voter_ref=account_reference(next(_serial)), channel=BallotChannel.ONLINE, at=clock.now)

        @rule()
        def count(self):
            if self.attempt(self.phase is Phase.RESULTS and not self.published,
                            results_services.run_tally, self.admin, self.round):
                self.has_run, self.confirmed = True, False

        @rule()
        def confirm(self):
            run = results_services.latest_run(self.round)
            if self.attempt(self.phase is Phase.RESULTS and self.has_run and not self.published,
                            results_services.confirm_results, self.admin, self.round, run, CONFIRMATION):
                self.confirmed = True

        @rule()
        def publish(self):
            if self.attempt(self.phase is Phase.RESULTS and self.confirmed and not self.published,
                            results_services.publish_results, self.admin, self.round):
                self.published = True

        @rule()
        def count_confirm_publish(self):
            """The three result steps in a row (so that runs reach publication often)."""
            self.count()
            self.confirm()
            self.publish()

        @rule()
        def follow_up(self):
            funded = results_services.funded_project_ids(self.round)
            project = next((p for p in self.area.projects if p.id in funded), None) or (self.area.projects or [None])[0]
            if project is None:
                return
            self.attempt(self.published and project.id in funded, results_services.add_follow_up, self.admin,
                         project, {"status": "planned", "note_fi": "Suunnitteilla"})

        # Invariants ------------------------------------------------------------------------

        @invariant()
        def phase_matches_the_model(self):
            db.session.refresh(self.round)
            assert Phase(self.round.phase) is self.phase
            REACHED.add(self.phase)
            if self.published:
                REACHED.add("published")

        @invariant()
        def frozen_settings_never_change(self):
            if self.frozen is None:
                assert self.round.frozen_at is None
                return
            digest, config = self.frozen
            assert (self.round.config_digest, self.round.frozen_config_json) == (digest, config)
            assert round_services.config_digest(round_services.frozen_config(self.round)) == digest

        @invariant()
        def nothing_is_public_before_publication(self):
            assert results_services.is_published(self.round) == self.published

    return RoundLifecycle


def test_round_lifecycle_state_machine(app, clock):
    """No service action succeeds in a phase where it is not allowed, and frozen settings never change."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        run_state_machine_as_test(
            make_machine(clock),
            settings=settings(max_examples=25, stateful_step_count=40, deadline=None, derandomize=True,
                              suppress_health_check=list(HealthCheck)),
        )
    assert {Phase.VOTING, Phase.RESULTS, "published"} <= REACHED, REACHED
