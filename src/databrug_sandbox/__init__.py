"""The simulated world: DigiD IdP, portals, personas, mail catcher. Never imported by databrug."""
