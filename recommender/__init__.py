"""The recommender (DESIGN section 6): candidates, ranking, explanations, training. Built in issue #6."""
