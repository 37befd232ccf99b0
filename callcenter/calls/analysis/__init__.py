"""Live call analysis behind one interface, `CallAnalyzer`; `build_call_analyzer`
picks the implementation from configuration."""

from callcenter.calls.analysis.base import CallAnalyzer, SentimentTrend, TurnAnalysis, sentiment_label
from callcenter.calls.analysis.registry import ANALYZERS, build_call_analyzer

__all__ = ["ANALYZERS", "CallAnalyzer", "SentimentTrend", "TurnAnalysis", "build_call_analyzer", "sentiment_label"]
