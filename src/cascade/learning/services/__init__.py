"""Every write of the learning area, split by concept: programs (building and versions),
cohorts (intakes and enrolment), progress (doing and reviewing steps), quizzes (attempts)."""
