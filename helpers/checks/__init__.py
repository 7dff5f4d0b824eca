"""What checks answers: one core, each arc's table, comparisons, the guard, feedback, reports."""
