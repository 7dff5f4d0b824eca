"""What the learner builds, finished: to compare with, and to stand in for an open TODO."""
