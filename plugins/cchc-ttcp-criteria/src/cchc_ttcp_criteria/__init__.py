"""cchc-ttcp-criteria: the Government Inspectorate's domain criteria, derived from records.

Three fact providers turn the records a department already keeps into the facts the
PAR criteria score:

* :class:`Placement` (``placement``) — staff placed per the job-position scheme
  (Decrees 62/2020, 106/2020);
* :class:`RotationCompliance` (``rotation_compliance``) — periodic rotation of positions
  (Anti-Corruption Law 2018, Decree 59/2019);
* :class:`DigitalSignatures` (``digital_signatures``) — outgoing documents signed
  digitally, heads and staff using certificates (749/QĐ-TTg, the Inspectorate's 100 %).

cchc-rules finds this module through the ``ttcp`` entry point (group ``cchc_rules``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cchc_rules.hookspecs import hookimpl
from cchc_rules.providers import FactProvider
from cchc_ttcp_criteria.placement import Placement, PlacementParams
from cchc_ttcp_criteria.rotation import RotationCompliance, RotationParams
from cchc_ttcp_criteria.signatures import DigitalSignatures, DigitalSignaturesParams

__all__ = [
    "CCHC_PLUGIN_API",
    "PROVIDERS",
    "DigitalSignatures",
    "DigitalSignaturesParams",
    "Placement",
    "PlacementParams",
    "RotationCompliance",
    "RotationParams",
    "cchc_register_fact_providers",
]

# Written for plugin API 2, the version that added fact providers.
CCHC_PLUGIN_API = 2

PROVIDERS: tuple[type[FactProvider[Any]], ...] = (Placement, RotationCompliance, DigitalSignatures)


@hookimpl
def cchc_register_fact_providers() -> Sequence[type[FactProvider[Any]]]:
    return PROVIDERS
