"""The robot citizen: drives whole journeys over HTTP exactly as a browser and a person would."""
