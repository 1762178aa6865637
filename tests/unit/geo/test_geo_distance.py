"""Vectorised haversine distances agree with geopy's ellipsoidal geodesic."""

import numpy as np
import pytest

from omnialloc.geo import geodesic_km, haversine_km, haversine_matrix_km

CITIES = {
    "Chennai": (13.0878, 80.2847),
    "Delhi": (28.6315, 77.2167),
    "Mumbai": (18.9388, 72.8354),
    "Kolkata": (22.5726, 88.3639),
    "Guwahati": (26.1852, 91.7503),
    "Kochi": (9.9658, 76.2421),
    "Srinagar": (34.0837, 74.7973),
    "Port Blair": (11.6234, 92.7265),
}


def test_haversine_matrix_agrees_with_geopy_within_half_a_percent():
    pts = list(CITIES.values())
    lats = [p[0] for p in pts]
    lons = [p[1] for p in pts]
    matrix = haversine_matrix_km(lats, lons, lats, lons)
    for i, a in enumerate(pts):
        for j, b in enumerate(pts):
            if i == j:
                assert matrix[i, j] == pytest.approx(0.0, abs=1e-6)
            else:
                assert matrix[i, j] == pytest.approx(geodesic_km(a, b), rel=0.005)


def test_one_to_many_matches_the_matrix_row():
    lats = np.array([p[0] for p in CITIES.values()])
    lons = np.array([p[1] for p in CITIES.values()])
    row = haversine_km(13.0878, 80.2847, lats, lons)
    assert np.allclose(row, haversine_matrix_km([13.0878], [80.2847], lats, lons)[0])


def test_matrix_shape_is_origins_by_destinations():
    assert haversine_matrix_km([1, 2, 3], [70, 71, 72], [10, 11], [75, 76]).shape == (3, 2)


def test_chennai_to_delhi_is_about_1750_km():
    assert 1700 < geodesic_km(CITIES["Chennai"], CITIES["Delhi"]) < 1800
