"""Model assistance: narrow questions to an OpenAI-compatible endpoint, answers merged only
where the layout mapper found nothing, every answer grounded in the cells it cites."""
