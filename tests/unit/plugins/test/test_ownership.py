"""carries: the tags, not the name, make a resource the stack's."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.credlink.infra.plugins.test.ownership import carries

OURS = {"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible"}


def test_every_ownership_tag_must_be_there_with_its_value():
    assert carries({**OURS, "Name": "credlink-dev-nat-us-east-1a", "Team": "x"}, OURS)
    assert not carries({**OURS, "Environment": "dev-alice"}, OURS)
    assert not carries({"Name": "credlink-dev-nat-us-east-1a"}, OURS)
    assert not carries(None, OURS)


def test_no_required_tags_is_refused():
    with pytest.raises(AnsibleFilterError):
        carries(OURS, {})
