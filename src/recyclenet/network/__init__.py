"""Distances and travel times between places."""

from recyclenet.network.matrix import TravelMatrix, haversine_km, straight_line_matrix

__all__ = ["TravelMatrix", "haversine_km", "straight_line_matrix"]
