"""MijnOverheid's vehicles document: the vehicles registered to the citizen in the RDW kentekenregister.

A small JSON format of our own, with RDW field meanings (docs/formats/vehicles.md): no public sample of the
MijnOverheid "Voertuigen" download exists.
"""

from __future__ import annotations

import json
from typing import Any

from databrug.records import Vehicle
from databrug_sandbox.documents.brp import reference_date
from databrug_sandbox.personas.model import Citizen

FORMAT_VERSION = "1.0"


def voertuig(vehicle: Vehicle) -> dict[str, Any]:
    values = {
        "kenteken": vehicle.registration,
        "merk": vehicle.make,
        "handelsbenaming": vehicle.model,
        "datumTenaamstelling": vehicle.registered_since.isoformat() if vehicle.registered_since else None,
        "datumEersteToelating": vehicle.first_admission.isoformat() if vehicle.first_admission else None,
    }
    return {key: value for key, value in values.items() if value is not None}


def render_vehicles(citizen: Citizen) -> bytes:
    """The citizen's vehicles as MijnOverheid shows them (application/json, UTF-8)."""
    body = {
        "bron": "RDW",
        "formaatVersie": FORMAT_VERSION,
        "peildatum": reference_date(citizen).isoformat(),
        "voertuigen": [voertuig(vehicle) for vehicle in citizen.facts.assets.vehicles],
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
