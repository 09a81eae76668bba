"""The paper blueprint: moderators key paper ballots twice and record in-person voters."""
