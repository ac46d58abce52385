"""Word lists, name parts and genre profiles the demo catalog generator draws from."""

from typing import NamedTuple

# Every list holds single lower-case words, and the emotion lists are pairwise disjoint and
# disjoint from the genre and filler lists, so a song's lyrics can be traced back to its
# emotion and genre by counting words (the tests rely on that).

EMOTION_WORDS = {
    "joy": {
        "adj": "bright golden alive free glowing shining happy sunny laughing dazzling radiant "
        "carefree".split(),
        "noun": "sunshine laughter celebration summer glory delight rainbow confetti jubilee smiles".split(),
        "verb": "celebrate laugh sparkle soar jump shout beam cheer".split(),
    },
    "sadness": {
        "adj": "lonely broken empty hollow weary faded tearful distant lost grieving aching heavy".split(),
        "noun": "tears sorrow goodbye heartache regret grief memories loneliness emptiness yesterday".split(),
        "verb": "cry weep mourn fade miss grieve sigh crumble".split(),
    },
    "anger": {
        "adj": "furious bitter savage violent raging vicious ruthless hateful reckless fierce "
        "brutal seething".split(),
        "noun": "rage fury hatred war vengeance venom wrath grudge riot enemies".split(),
        "verb": "scream fight smash destroy punch strike rip defy".split(),
    },
    "fear": {
        "adj": "afraid haunted trembling paranoid restless frightened anxious shivering nervous "
        "helpless dreadful creeping".split(),
        "noun": "nightmare shadows darkness ghosts terror panic dread monsters danger whispers".split(),
        "verb": "hide tremble flee shake cower freeze escape pray".split(),
    },
    "love": {
        "adj": "tender sweet gentle devoted beautiful warm precious lovely passionate faithful "
        "adoring true".split(),
        "noun": "love heart kiss romance forever darling arms lover desire soulmate".split(),
        "verb": "hold cherish adore touch caress treasure need belong".split(),
    },
    "surprise": {
        "adj": "sudden strange unexpected amazed stunned astonished shocking curious unreal "
        "wondrous mysterious spinning".split(),
        "noun": "wonder surprise miracle twist mystery revelation secret magic discovery lightning".split(),
        "verb": "gasp discover reveal blink stumble realize unfold spin".split(),
    },
}

# Imagery nouns and verbs that place a song in its genre (split into word lists below).
_GENRE_TEXT = {
    "pop": (
        "spotlight radio candy glitter selfie mirror billboard lipstick disco rooftop bubblegum jukebox",
        "twirl pose flash text",
    ),
    "rock": (
        "guitar amplifier stage engine leather garage thunder asphalt rebels drums wire motorbike",
        "roar ride rev crank",
    ),
    "hip hop": (
        "block corner hustle mic concrete chains hood paper cash crew bars streets cypher",
        "spit flex stack rhyme",
    ),
    "electronic": (
        "bass strobe neon circuit laser synth signal voltage frequency dancefloor warehouse machine",
        "throb loop drop rave",
    ),
    "jazz": (
        "saxophone trumpet cigarette lounge martini velvet smoke nightclub cocktail brass bourbon piano",
        "swing croon sway improvise",
    ),
    "classical": (
        "violin symphony cathedral candlelight sonata orchestra overture marble "
        "chandelier harpsichord ballroom cello",
        "compose conduct resonate ascend",
    ),
    "country": (
        "truck dirt backroad whiskey porch boots cowboy tailgate barn rodeo gravel fiddle",
        "drive haul holler wrangle",
    ),
    "metal": (
        "iron steel skull abyss inferno throne serpent blade graveyard demon hammer crypt",
        "forge unleash summon conquer",
    ),
    "r&b": (
        "silk candles bedroom satin perfume pillows groove lipgloss bathtub falsetto caramel slowjam",
        "slide linger unwind vibe",
    ),
    "folk": (
        "river mountain meadow campfire banjo cabin pines harvest valley lantern orchard wagon",
        "wander roam gather plant",
    ),
    "reggae": (
        "island ocean palm lion zion babylon bamboo coconut shoreline reef drumbeat riddim",
        "chant bless praise unite",
    ),
    "blues": (
        "crossroads railroad levee harmonica mississippi boxcar cottonfield bottle preacher swamp shack juke",
        "moan wail ramble stagger",
    ),
    "latin": (
        "fiesta plaza tequila maracas carnival corazon playa noche mango cumbia calle guitarra",
        "baila canta gira besa",
    ),
    "indie": (
        "polaroid bicycle postcard vinyl cardigan attic cassette bookstore suburb "
        "treehouse streetlight thrift",
        "scribble skate mumble doodle",
    ),
    "ambient": (
        "clouds horizon fog starlight tide breeze snowfall orbit nebula glacier aurora dew",
        "drift float hover breathe",
    ),
}
GENRE_WORDS = {g: (n.split(), v.split()) for g, (n, v) in _GENRE_TEXT.items()}

SUBGENRES = {
    "pop": ["dance pop", "synth-pop", "electropop", "teen pop"],
    "rock": ["indie rock", "hard rock", "alternative rock", "classic rock"],
    "hip hop": ["trap", "rap", "boom bap", "conscious hip hop"],
    "electronic": ["house", "techno", "edm", "trance", "drum and bass"],
    "jazz": ["smooth jazz", "bebop", "vocal jazz", "jazz fusion"],
    "classical": ["baroque", "romantic era", "classical piano", "orchestral"],
    "country": ["country pop", "bluegrass", "americana", "outlaw country"],
    "metal": ["heavy metal", "thrash metal", "metalcore", "doom metal"],
    "r&b": ["soul", "neo soul", "contemporary r&b", "funk"],
    "folk": ["indie folk", "singer-songwriter", "celtic", "folk rock"],
    "reggae": ["dancehall", "roots reggae", "dub", "ska"],
    "blues": ["delta blues", "electric blues", "chicago blues", "blues rock"],
    "latin": ["reggaeton", "salsa", "bachata", "latin pop"],
    "indie": ["indie pop", "dream pop", "shoegaze", "bedroom pop"],
    "ambient": ["lofi", "chillout", "new age", "downtempo"],
}

# Sung exclamations that colour a chorus; genres without one leave the chorus bare.
INTERJECTIONS = {
    "pop": "oh oh",
    "hip hop": "yeah uh",
    "r&b": "ooh baby",
    "reggae": "oh jah",
    "latin": "ay ay",
    "country": "oh lord",
    "rock": "hey hey",
    "electronic": "oh oh oh",
    "blues": "oh mama",
    "indie": "la la",
}

FILLER = {
    "p": ["I", "we", "you", "they"],
    "o": ["my", "your", "our"],
    "pr": ["under", "through", "across", "beyond", "beneath", "inside", "above"],
    "f": ["night", "time", "world", "day", "life", "way", "town", "dream"],
}

# Placeholders: {ea}/{en}/{ev} emotion adjective/noun/verb, {gn}/{gv} genre noun/verb,
# {p} pronoun, {o} possessive, {pr} preposition, {f} filler noun, {t} the song title.
VERSE_TEMPLATES = [
    "{p} {ev} {pr} the {gn}",
    "{p} {gv} all {f} long with {o} {en}",
    "{ea} {gn} and {ea} {en}",
    "{o} {en} is {ea} like the {gn}",
    "{p} {gv} {pr} the {gn} tonight",
    "every {f} {p} {ev} a little more",
    "there's {en} in the {gn} and {en} in {o} {f}",
    "{p} feel so {ea} when the {gn} calls",
    "down by the {gn} {p} {ev} and {ev}",
    "{ea} {f} {pr} a {ea} {gn}",
    "take {o} {en} to the {gn}",
    "{p} never {gv} without {o} {gn}",
    "the {gn} knows {o} {en}",
    "{p} {gv} and {p} {ev} in the {ea} {f}",
]
CHORUS_TEMPLATES = [
    "{t} {t}",
    "oh {t}",
    "{t} {pr} the {gn}",
    "and {p} {ev} {t}",
    "{t} all {f} long",
    "{p} {gv} {t}",
]

# Title and album templates use capitalised placeholders: {EA} {EN} {EV} {GN} {F}.
TITLE_TEMPLATES = [
    "{EA} {GN}",
    "{GN} of {EN}",
    "{EN}",
    "{EV} with Me",
    "{EA} {F}",
    "{GN} {EN}",
    "Midnight {GN}",
    "{EN} in the {GN}",
    "Our {EA} {F}",
    "{EV} Tonight",
    "Last {GN}",
    "No More {EN}",
    "{EA}",
    "The {GN}",
    "{EV} Again",
    "{EN} on the {GN}",
]
ALBUM_TEMPLATES = [
    "{GN} Sessions",
    "The {EA} {F}",
    "{EN} & {GN}",
    "Songs of {EN}",
    "{GN}",
    "Tales from the {GN}",
    "{EA} Days",
    "Live at the {GN}",
    "{GN} Diaries",
    "{EA} {EN}",
    "After the {GN}",
    "{EN}",
]

FIRST_NAMES = (
    "Nova Kai Luna Milo Ivy Jonah Aria Theo Mara Felix Zara Leo Nina Omar Sade Rory Elena Malik "
    "Isla Dante Freya Caleb June Marco Priya Hugo Lena Tobias Rosa Amir Celia Gus Noor Ezra "
    "Vera Otis Mae Luca Tess Ravi Wren Silas Hazel Idris Clara Joaquin Lottie Kofi Ingrid Beau"
).split()
LAST_NAMES = (
    "Reyes Hart Vale Quinn Okafor Lindqvist Moreau Castillo Brennan Sato Adeyemi Fontaine Rook "
    "Navarro Holloway Kim Marsh Delgado Achebe Sinclair Petrov Ramos Whitlock Ferreira Carver "
    "Nakamura Ashby Oduya Bellamy Santos Frost Mbeki Calloway Lund Serrano Tran Hale Ortega "
    "Kowalski Duval Mercer Abara Stone Iverson Vega Winslow Haddad Pike Rivers Albright"
).split()
STAGE_PREFIXES = {
    "hip hop": ["Lil", "Young", "MC", "Big"],
    "electronic": ["DJ"],
    "reggae": ["King"],
    "latin": ["El", "La"],
}
STAGE_WORDS = (
    "Ember Blaze Cipher Nova Echo Rico Zephyr Jinx Onyx Vandal Saint Kilo Astro Cruz Mystic "
    "Phantom Solo Vapor Halo Rebel Sonny Jet Prism Dusk Raven Ace Flux Dynamo Tempo Orbit"
).split()
BAND_ADJECTIVES = (
    "Velvet Silver Electric Midnight Paper Neon Crimson Golden Hollow Wild Northern Iron Lucky "
    "Broken Black Glass Lunar Rusty Sonic Endless"
).split()
BAND_NOUNS = (
    "Wolves Echoes Strangers Kings Satellites Foxes Lanterns Sparrows Ravens Pilots Tides "
    "Comets Horizons Saints Machines Giants Shadows Rivers Vultures Daggers"
).split()
ENSEMBLES = {
    "classical": ["String Quartet", "Ensemble", "Chamber Orchestra"],
    "jazz": ["Trio", "Quartet", "Big Band"],
}
# Name styles per genre; repeats weight the choice.
NAME_STYLES = {
    "hip hop": ["stage", "stage", "stage", "solo"],
    "electronic": ["stage", "mono", "solo"],
    "metal": ["band", "band", "band", "mono"],
    "rock": ["band", "band", "solo"],
    "indie": ["band", "band", "solo"],
    "classical": ["solo", "solo", "ensemble"],
    "jazz": ["solo", "solo", "ensemble"],
    "reggae": ["solo", "stage", "band"],
    "latin": ["solo", "solo", "stage"],
}


class Profile(NamedTuple):
    """A genre's profile. weight: share of artists; energy..instr: mean 0-100 features; tempo: (mean,
    sd) BPM; loud: mean dB; seconds: mean length; lyric: (min, max) words; explicit and waltz (3/4):
    probabilities; era: range of career start years; popular: mean popularity.
    """

    weight: int
    energy: int
    dance: int
    pos: int
    speech: int
    live: int
    acoustic: int
    instr: int
    tempo: tuple[int, int]
    loud: float
    seconds: int
    lyric: tuple[int, int]
    explicit: float
    waltz: float
    era: tuple[int, int]
    popular: int


PROFILES = {
    "pop": Profile(
        14, 68, 70, 58, 7, 15, 18, 2, (118, 14), -5.5, 205, (100, 200), 0.15, 0.03, (1975, 2020), 60
    ),
    "rock": Profile(
        12, 78, 50, 50, 6, 20, 8, 4, (126, 22), -6.0, 235, (90, 190), 0.15, 0.03, (1965, 2015), 52
    ),
    "hip hop": Profile(
        12, 68, 76, 48, 24, 16, 12, 1, (95, 22), -6.5, 215, (160, 240), 0.65, 0.01, (1985, 2020), 58
    ),
    "electronic": Profile(
        9, 80, 72, 48, 6, 13, 5, 38, (126, 10), -5.0, 300, (60, 130), 0.10, 0.01, (1990, 2021), 50
    ),
    "jazz": Profile(
        5, 40, 55, 52, 5, 25, 65, 30, (112, 28), -11.0, 330, (80, 160), 0.02, 0.15, (1965, 2012), 38
    ),
    "classical": Profile(
        4, 18, 25, 30, 4, 12, 90, 85, (96, 26), -19.0, 420, (60, 100), 0, 0.25, (1965, 2018), 35
    ),
    "country": Profile(
        7, 62, 58, 58, 5, 17, 38, 1, (112, 20), -6.5, 210, (110, 200), 0.05, 0.12, (1968, 2019), 50
    ),
    "metal": Profile(
        6, 91, 40, 32, 8, 20, 2, 6, (150, 24), -4.5, 290, (90, 180), 0.45, 0.02, (1975, 2018), 42
    ),
    "r&b": Profile(
        7, 55, 68, 52, 9, 14, 22, 2, (92, 14), -7.0, 230, (110, 210), 0.30, 0.04, (1970, 2020), 55
    ),
    "folk": Profile(
        5, 38, 48, 45, 5, 16, 78, 5, (108, 22), -10.0, 225, (100, 200), 0.02, 0.18, (1965, 2020), 42
    ),
    "reggae": Profile(
        4, 60, 78, 66, 10, 18, 20, 3, (84, 12), -7.5, 240, (100, 190), 0.08, 0.02, (1970, 2015), 45
    ),
    "blues": Profile(
        3, 50, 50, 45, 6, 28, 50, 6, (100, 22), -9.0, 260, (80, 160), 0.03, 0.10, (1965, 2010), 36
    ),
    "latin": Profile(
        6, 74, 78, 68, 8, 14, 25, 2, (104, 22), -5.5, 215, (110, 200), 0.20, 0.03, (1980, 2021), 58
    ),
    "indie": Profile(
        7, 58, 55, 48, 5, 15, 35, 8, (120, 20), -7.5, 225, (90, 180), 0.10, 0.06, (1995, 2021), 46
    ),
    "ambient": Profile(
        4, 20, 30, 28, 4, 11, 75, 70, (82, 16), -16.0, 280, (60, 100), 0, 0.05, (1980, 2021), 40
    ),
}
GENRES = tuple(PROFILES)

EMOTION_WEIGHTS = {"joy": 28, "sadness": 24, "anger": 12, "fear": 9, "love": 17, "surprise": 10}
# Multipliers on EMOTION_WEIGHTS, so genres lean towards the moods they are known for.
EMOTION_BIAS = {
    "metal": {"anger": 3.5, "fear": 2.5, "joy": 0.3, "love": 0.3},
    "hip hop": {"anger": 1.8, "love": 0.7},
    "blues": {"sadness": 2.0, "joy": 0.6},
    "country": {"love": 1.3, "sadness": 1.3, "anger": 0.6},
    "r&b": {"love": 2.2, "anger": 0.5},
    "ambient": {"fear": 1.8, "sadness": 1.4, "surprise": 1.5, "anger": 0.2},
    "classical": {"sadness": 1.3, "surprise": 1.6, "fear": 1.4, "anger": 0.4},
    "latin": {"joy": 1.4, "love": 1.6, "fear": 0.5},
    "reggae": {"joy": 1.6, "love": 1.2, "fear": 0.5},
    "electronic": {"joy": 1.3, "surprise": 1.8},
    "indie": {"sadness": 1.3, "surprise": 1.3},
    "pop": {"joy": 1.3, "love": 1.3, "fear": 0.7},
}
# Emotion -> shift of mean (energy, danceability, positiveness).
EMOTION_SHIFT = {
    "joy": (5, 5, 22),
    "sadness": (-10, -6, -22),
    "anger": (12, 0, -12),
    "fear": (0, -4, -18),
    "love": (-5, 2, 12),
    "surprise": (5, 3, 8),
}
