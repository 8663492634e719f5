"""The reach ledger's services: `ledger` (eligibility and the steps after it), `escalation` (the rule that
goes after people not reached in time), `figures` (the daily counts). Import from the modules."""
