"""Rules as data: conditions, effects, citations, parameters, loading and rulebooks."""
