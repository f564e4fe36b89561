"""The classifier stage: scores posts for distress, crisis and rights (non-recours).

Public entry points (imported by ``maraude.cli`` inside its commands, so that
``maraude --help`` never loads numpy models):

- :func:`classifier.train.train` builds a model folder;
- :func:`classifier.store.load_model` / :func:`classifier.store.save_model`;
- :func:`classifier.evaluate.evaluate` and :func:`classifier.evaluate.format_table`;
- :func:`classifier.run.classify_db` and :func:`classifier.run.predict_stream`.

This package imports only ``maraude.{db,errors,rights,privacy}`` and never the
crawlers or the dashboard.
"""
