"""Pure parts of the local broker control."""

from __future__ import annotations

import base64

from service.broker import kafka_version, new_cluster_id


def test_cluster_ids_never_look_like_options() -> None:
    ids = [new_cluster_id() for _ in range(5000)]
    assert not any(cid.startswith("-") for cid in ids)
    assert len(set(ids)) == len(ids)
    assert all(len(base64.urlsafe_b64decode(cid + "==")) == 16 for cid in ids)


def test_kafka_version_is_pinned_4x() -> None:
    assert kafka_version().startswith("4.")
