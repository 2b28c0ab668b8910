"""The inferstack security CrossGuard pack: only builds PolicyPack(...) from the registry.

Pulumi runs this file from the pack directory, so the repository root (two levels up) goes on sys.path
first to make `policies` and `inferstack` importable. Constructing PolicyPack starts the analyzer
gRPC server and blocks forever: tests import the rules from policies.rules, never this module.
The environment whose defaults apply without --policy-pack-config comes from INFERSTACK_ENV, else the
stack name (PULUMI_STACK), else prod (the strictest).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pulumi_policy import EnforcementLevel, PolicyPack

from inferstack.policies.packs import initial_config
from inferstack.policies.registry import PACK_DESCRIPTIONS, PACK_NAMES, pack_policies

PolicyPack(
    name=PACK_NAMES["security"],
    description=PACK_DESCRIPTIONS["security"],
    policies=pack_policies("security"),
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config=initial_config("security"),
)
