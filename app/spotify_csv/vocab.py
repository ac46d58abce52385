"""The catalog's fixed vocabularies: emotions, activity tags and the song columns they map to."""

EMOTIONS = ("joy", "sadness", "anger", "fear", "love", "surprise")

# Activity tag -> (Song column, header of the "Good for ..." column in the lyrics schema).
ACTIVITY_FLAGS = {
    "party": ("good_for_party", "Good for Party"),
    "study": ("good_for_work_study", "Good for Work/Study"),
    "relaxation": ("good_for_relaxation", "Good for Relaxation/Meditation"),
    "exercise": ("good_for_exercise", "Good for Exercise"),
    "running": ("good_for_running", "Good for Running"),
    "yoga": ("good_for_yoga", "Good for Yoga/Stretching"),
    "driving": ("good_for_driving", "Good for Driving"),
    "social": ("good_for_social", "Good for Social Gatherings"),
    "morning": ("good_for_morning", "Good for Morning Routine"),
}

ACTIVITY_TAGS = tuple(ACTIVITY_FLAGS)
FLAG_COLUMNS = tuple(column for column, _ in ACTIVITY_FLAGS.values())

# Words people use for the same activity; they resolve to one tag.
TAG_ALIASES = {
    "workout": "exercise",
    "gym": "exercise",
    "work": "study",
    "focus": "study",
    "meditation": "relaxation",
    "relax": "relaxation",
    "chill": "relaxation",
    "stretching": "yoga",
    "social gatherings": "social",
}

AUDIO_FEATURES = (
    "energy",
    "danceability",
    "valence",
    "speechiness",
    "liveness",
    "acousticness",
    "instrumentalness",
)


def canonical_tag(tag: object) -> str:
    """Return the canonical form of a tag (lower case, aliases resolved)."""
    tag = " ".join(str(tag).strip().lower().split())
    return TAG_ALIASES.get(tag, tag)
