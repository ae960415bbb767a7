"""Deciding an application: match the rules stratum by stratum, resolve precedence, date the
limits on the working-day calendar, say what the decision does not cover.

:mod:`~gridconnect.decide.evaluate` is the pipeline (``gridconnect.evaluate``);
:mod:`~gridconnect.decide.resolution` applies precedence; :mod:`~gridconnect.decide.decision`
holds what a decision is made of; :mod:`~gridconnect.decide.calendar` counts working days;
:mod:`~gridconnect.decide.acceptance` checks the documents (受理);
:mod:`~gridconnect.decide.bundle` plans a bundled request (一次办);
:mod:`~gridconnect.decide.coverage` warns where the rules stop.
"""
