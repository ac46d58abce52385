"""Offline evaluation of the engines in app/recommend/: metrics, splits, fusion fitting, runners (no Flask).

- metrics.py: ranking and list metrics over ranked ids and held-out sets.
- split.py: the split's users and items (EvalUser, ItemSet), their vectors, contexts and store.
- harness.py: the run over every approach on a split, and its table.
- split_catalog.py: the engines' CatalogData over a training split, and the random baseline.
- files.py: a split read from CSV files (HetRec and the like).
- validation.py, tuning.py: For you's fusion fitted on a validation split carved from training data.
- stores.py: the throwaway vector stores the evaluation fills; the only place it creates one.
- run_files.py: `python -m app.evaluation` (the file evaluation); run_app.py: the run behind
  `flask evaluate`, whose split app/services/ops/evaluation.py reads from the database.

The engines never import this package (tests/test_architecture.py checks it).
"""
