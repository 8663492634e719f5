"""Everything that changes citizens' data. Views, API and tasks call these; nothing else writes."""
