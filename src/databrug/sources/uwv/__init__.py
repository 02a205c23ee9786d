"""UWV connector: the verzekeringsbericht (PDF from mijn.uwv.nl) → employers and benefit payers with wages."""
