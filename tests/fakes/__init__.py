"""Stand-ins for hosted services this machine cannot reach, faked at their HTTP boundary only."""
