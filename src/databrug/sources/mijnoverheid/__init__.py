"""MijnOverheid connector: the BRP person (Haal Centraal BRP Personen v2.7), WOZ objects and vehicles."""
