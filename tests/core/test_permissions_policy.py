"""Every page turns off the browser features the panel never uses (Permissions-Policy)."""

from __future__ import annotations

import pytest


def _features(response) -> dict[str, str]:
    policy = response.headers["Permissions-Policy"]
    return dict(item.strip().split("=", 1) for item in policy.split(","))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/no-such-page/"])
def test_pages_before_the_login_refuse_camera_microphone_location_payment_and_usb(client, path):
    features = _features(client.get(path))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()", feature


@pytest.mark.django_db
def test_every_feature_named_is_refused_to_every_origin(admin_client, agent_in_process):
    features = _features(admin_client.get("/changes/"))
    assert len(features) > 20
    assert set(features.values()) == {"()"}
