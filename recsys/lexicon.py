"""Hand-written mood words: valence and arousal of emotion, music and scene words.

Every number here is this project's own estimate on a 0..100 scale (valence: miserable ..
joyful; arousal: still .. frantic), written for how people describe photos and music. Words
are grouped by how much they say about mood: an emotion word says more than a scene noun.
"""

from __future__ import annotations

from dataclasses import dataclass


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text, as a set."""
    return frozenset(text.split())


@dataclass(frozen=True)
class MoodWord:
    """One lexicon entry: valence and arousal in 0..1 and how much the word says (weight)."""

    valence: float
    arousal: float
    weight: float


# How much each kind of word says about the mood of the whole text.
EMOTION_WEIGHT = 1.0  # "joyful", "lonely": the mood itself
MUSIC_WEIGHT = 1.0  # "upbeat", "ballad": vision models say what music would fit
SCENE_WEIGHT = 0.45  # "beach", "rain": scenes lean one way but can be read both ways
APPRAISAL_WEIGHT = 0.15  # "beautiful", "stunning": influencer praise, faintly positive

EMOTION = """
joy 95 75 | joyful 95 75 | joyous 95 75 | happy 92 65 | happiness 92 65 | cheerful 90 65
glad 85 55 | delight 92 70 | delightful 90 60 | elated 95 85 | euphoric 95 92 | euphoria 95 92
ecstatic 95 92 | exuberant 92 88 | exuberance 92 88 | jubilant 95 85 | gleeful 92 78
playful 85 72 | fun 88 78 | funny 85 65 | goofy 82 70 | silly 80 65 | laughter 92 75
laugh 90 72 | smile 88 55 | grin 85 60 | amused 82 55 | carefree 88 60 | lighthearted 88 58
light-hearted 88 58 | celebration 92 85 | celebratory 92 85 | celebrate 92 85 | festive 92 82
excitement 88 88 | excited 88 88 | exciting 88 85 | thrill 82 95 | thrilling 85 95
thrilled 90 90 | adrenaline 75 97 | exhilarating 88 95 | exhilaration 88 95 | enthusiasm 88 82
enthusiastic 88 82 | energetic 78 92 | energy 68 85 | vibrant 82 78 | lively 85 82
dynamic 72 85 | electric 75 92 | electrifying 80 95 | wild 70 92 | rowdy 62 92 | hype 75 93
pumped 78 93 | intense 45 90 | intensity 45 90 | fierce 50 90 | powerful 62 85 | bold 70 78
confident 82 65 | confidence 82 65 | triumphant 92 85 | triumph 92 85 | victorious 92 85
proud 85 65 | pride 82 65 | empowered 88 75 | empowering 88 75 | empowerment 88 75
strength 75 68 | strong 70 68 | determined 70 72 | determination 70 72 | resilience 72 55
resilient 72 55 | hope 78 45 | hopeful 80 48 | optimistic 85 55 | optimism 85 55
uplifting 88 65 | uplifted 88 62 | inspiring 85 62 | love 90 60 | loving 90 55 | lovely 85 45
romance 85 55 | romantic 85 50 | affection 88 45 | affectionate 88 45 | tender 78 30
tenderness 78 30 | sweet 85 45 | adorable 90 55 | cute 88 55 | cuteness 88 55 | adoration 90 55
passion 78 80 | passionate 75 80 | sensual 75 55 | intimate 68 28 | intimacy 70 28
warmth 82 40 | warm 78 42 | cozy 85 25 | cosy 85 25 | comfort 82 25 | comforting 82 25
comfortable 80 25 | content 80 25 | contentment 82 22 | satisfied 80 35 | grateful 88 40
gratitude 88 40 | blissful 92 40 | bliss 92 40 | peace 82 15 | peaceful 82 15
peacefulness 82 15 | serene 78 12 | serenity 80 12 | tranquil 78 12 | tranquility 78 12
tranquillity 78 12 | calm 72 12 | calming 74 14 | calmness 72 12 | relaxed 78 18
relaxing 78 18 | relaxation 78 15 | relax 78 18 | chill 72 25 | chilled 70 22 | mellow 68 22
soothing 76 14 | gentle 72 22 | soft 66 22 | easygoing 78 30 | laid-back 75 25
leisurely 78 25 | lazy 62 15 | sleepy 55 8 | dreamy 70 25 | dreamlike 66 25 | dream 70 30
whimsical 78 50 | whimsy 78 50 | magical 85 55 | enchanting 85 45 | wonder 85 55 | awe 78 60
majestic 78 55 | epic 72 85 | free 80 60 | freedom 85 65 | innocence 82 45 | innocent 80 40
joy-filled 95 75 | nostalgia 52 30 | nostalgic 52 30 | wistful 38 25 | bittersweet 42 30
longing 28 35 | yearning 30 40 | reflective 48 20 | reflection 48 20 | contemplative 45 18
contemplation 45 18 | introspective 40 20 | introspection 40 20 | pensive 38 20
thoughtful 55 25 | meditative 65 10 | meditation 68 8 | mindful 70 15 | spiritual 68 30
solemn 28 22 | somber 18 22 | sombre 18 22 | melancholy 15 25 | melancholic 15 25
sad 8 25 | sadness 8 25 | sorrow 8 28 | sorrowful 8 28 | grief 5 35 | grieving 5 35
mourning 8 30 | heartbreak 8 45 | heartbroken 8 40 | tears 12 45 | tearful 12 45
crying 10 50 | cry 12 50 | weeping 10 45 | lonely 8 20 | loneliness 8 20 | alone 25 20
lone 30 22 | solitary 32 20 | solitude 38 15 | isolated 18 25 | isolation 18 25 | lost 22 35
empty 18 15 | emptiness 15 15 | hollow 18 20 | despair 5 45 | hopeless 5 30 | desperation 8 60
depressed 6 15 | depression 6 15 | gloomy 15 25 | gloom 15 25 | bleak 12 22 | dismal 12 20
dreary 18 18 | grim 12 40 | haunting 30 42 | haunted 20 55 | eerie 25 55 | ominous 18 62
sinister 12 65 | creepy 15 62 | dark 25 45 | darkness 22 42 | mysterious 45 50 | mystery 45 50
moody 30 40 | brooding 22 42 | tense 20 78 | tension 22 75 | anxious 15 78 | anxiety 15 78
nervous 20 75 | fear 10 82 | afraid 12 75 | scared 12 80 | terror 5 92 | panic 8 92
dread 10 70 | angry 12 88 | anger 12 88 | rage 8 95 | furious 8 95 | aggressive 20 92
aggression 20 92 | frustration 15 75 | frustrated 15 75 | bitter 15 55 | chaos 25 90
chaotic 28 88 | turmoil 15 80 | restless 35 70 | rebellious 45 85 | rebellion 45 85
defiant 45 80 | edgy 45 75 | gritty 35 65 | bored 28 10 | boredom 28 10 | tired 28 12
weary 22 15 | exhausted 20 15 | numb 20 10 | apathy 25 8 | regret 15 35 | guilt 15 45
shame 12 45 | pain 10 60 | painful 10 55 | hurt 10 55 | broken 12 40 | suffering 8 55
burdened 18 35 | desolate 10 18 | abandoned 12 25 | forgotten 25 20 | lament 12 30
cheer 88 75 | cheering 88 82 | dancing 88 88 | dance 85 85 | party 90 93 | partying 88 93
singing 85 70 | jumping 80 88 | running 65 80 | playing 82 72 | adventure 82 78
adventurous 82 78 | exploration 75 65 | wanderlust 78 55 | escape 60 55 | dramatic 40 70
harsh 25 65 | stark 32 40 | quiet 55 10 | still 55 8 | stillness 58 8 | silence 45 5
silent 45 5 | tired 28 12 | friendly 85 55 | joyfully 95 75 | merry 92 75
bustling 65 78 | leisure 78 25 | enjoy 85 60 | enjoyment 85 60 | harmony 78 25 | harmonious 78 25
simplicity 68 20 | everyday 60 35 | casual 70 35 | delicate 68 20 | vibrancy 82 78 | alive 82 72
anticipation 65 70 | memory 55 30 | connection 80 40 | embrace 85 40 | restful 75 10
"""

MUSIC = """
upbeat 88 82 | uptempo 80 85 | up-tempo 80 85 | catchy 82 70 | groovy 82 75 | groove 80 72
funky 82 78 | danceable 85 85 | anthem 80 85 | anthemic 80 85 | banger 78 95 | bouncy 85 78
ballad 35 25 | lullaby 70 5 | ambient 60 10 | acoustic 60 25 | unplugged 60 22 | lo-fi 60 25
lofi 60 25 | downtempo 55 20 | slow 40 15 | slow-paced 40 15 | hushed 50 8 | subdued 40 15
muted 38 18 | minimalist 50 18 | loud 62 92 | fast 65 85 | fast-paced 68 88 | high-energy 75 95
driving 62 82 | pounding 45 90 | heavy 35 70 | thunderous 40 92 | soulful 60 45 | bluesy 35 40
jazzy 70 50 | orchestral 60 55 | cinematic 60 60 | atmospheric 50 30 | ethereal 65 20
instrumental 55 30 | piano 52 22 | strings 50 35 | folk 60 35 | indie 60 50 | pop 80 70
edm 75 92 | electronic 65 78 | techno 58 90 | hip-hop 60 75 | rap 50 78 | rock 55 82
punk 50 92 | metal 30 95 | reggae 80 60 | salsa 85 85 | disco 88 88 | latin 85 80
bollywood 85 80 | classical 58 35 | jazz 65 45 | blues 30 38 | soul 65 50 | country 65 55
gospel 80 65 | lullabies 70 5 | dubstep 55 95 | trance 70 88 | synthwave 60 65 | chillhop 65 25
"""

SCENE = """
beach 85 60 | sunshine 90 65 | sunny 88 62 | sun 82 60 | summer 88 70 | spring 82 55
springtime 82 55 | sunset 72 30 | sunrise 78 35 | dawn 70 22 | morning 72 35 | breakfast 75 35
golden 78 40 | bright 82 62 | colorful 88 70 | colourful 88 70 | rainbow 90 55 | flowers 85 40
flower 85 40 | blossom 85 40 | garden 80 30 | bouquet 85 40 | tulip 85 40 | meadow 80 25
lawn 75 35 | park 75 40 | forest 65 25 | woods 58 28 | tree 68 25 | nature 78 25
mountain 72 45 | lake 72 15 | river 70 25 | ocean 72 35 | sea 72 35 | wave 70 50
waterfall 75 50 | sky 72 30 | cloud 55 25 | cloudy 40 25 | fog 35 18 | foggy 35 18
mist 45 15 | misty 45 15 | haze 45 20 | hazy 45 20 | rain 25 30 | rainy 22 28 | raining 22 30
raindrop 30 25 | drizzle 32 20 | storm 22 85 | stormy 22 80 | thunder 25 85 | lightning 30 88
snow 62 22 | snowy 62 22 | winter 45 25 | cold 30 30 | autumn 52 25 | night 40 35
nighttime 40 35 | midnight 38 35 | evening 55 28 | twilight 48 22 | dusk 48 22 | moon 58 20
moonlight 62 20 | star 70 20 | starry 72 22 | streetlight 38 25 | streetlamp 38 22
shadow 32 35 | dim 35 20 | dimly 35 20 | gray 28 20 | grey 28 20 | city 55 65 | urban 50 62
street 48 50 | traffic 40 70 | neon 65 75 | skyline 62 50 | club 78 90 | nightclub 78 90
bar 68 65 | pub 70 65 | concert 82 92 | festival 88 88 | crowd 65 80 | stage 72 80
firework 88 88 | carnival 88 88 | holi 92 85 | wedding 92 70 | birthday 92 78 | picnic 85 35
wine 75 35 | drink 75 65 | beer 72 62 | cafe 72 30 | coffee 68 35 | tea 70 15 | candle 68 20
candlelight 72 20 | fireplace 78 20 | home 75 25 | bed 65 10 | family 85 50 | friend 88 65
friendship 88 60 | camaraderie 88 65 | together 82 55 | togetherness 85 55 | children 85 72
kid 85 72 | child 82 65 | baby 88 45 | puppy 92 70 | dog 82 60 | kitten 90 50 | cat 75 35
bird 75 40 | bench 45 15 | road 55 40 | path 60 35 | vintage 58 28 | ruin 30 30
graffiti 55 70 | hospital 15 45 | funeral 8 25 | cemetery 15 20 | grave 12 20 | war 5 90
fire 35 85 | flame 40 80 | gym 60 85 | workout 65 88 | sport 72 85 | race 65 90
rollercoaster 78 95 | ride 72 75 | amusement 85 80 | swing 80 55 | bicycle 72 50 | bike 72 55
cycle 70 50 | highway 60 65 | desert 45 35 | window 50 20 | balloon 90 70 | cake 88 60
gift 88 60 | toy 82 60 | smoke 35 50 | ice 45 30 | puddle 35 25 | wet 35 35 | lamp 55 20
natural 72 30 | lush 75 35 | childhood 75 50 | breeze 75 25 | rustic 65 25 | pastel 70 25
kite 82 55 | market 65 65 | gathering 82 62 | faded 40 20 | freshness 82 45 | amber 65 30
sunlight 82 50 | afternoon 70 35 | outdoors 78 50 | grass 75 30 | cool 55 25 | glow 72 30
sunglasses 80 55
"""

APPRAISAL = """
beautiful 80 45 | stunning 80 60 | gorgeous 80 55 | captivating 75 55 | breathtaking 80 65
amazing 85 70 | incredible 82 68 | wonderful 88 55 | pleasant 80 30 | nice 78 35
charming 82 40 | elegant 72 30 | idyllic 85 25 | picturesque 80 30 | pleasure 85 50
inviting 75 40 | vivid 78 65 | timeless 60 25 | charm 80 40 | elegance 72 30
"""

# Two-word phrases matched before single words ("high energy" is not "energy").
PHRASES = """
high energy 75 95 | low energy 40 12 | medium energy 62 50 | moderate energy 62 50
night party 90 95 | city night 50 60 | golden hour 75 30 | slow paced 40 15 | fast paced 68 88
feel good 90 65 | laid back 75 25 | good time 88 75 | sad energy 8 30 | string light 80 55
rainy night 18 30 | rainy day 28 28 | street lamp 38 22 | roller coaster 78 95 | hip hop 60 75
lo fi 60 25 | heavy rain 18 45 | dance floor 85 92 | having fun 88 80 | quiet reflection 45 10
strong beat 70 88 | good vibe 85 60 | positive vibe 88 60 | postive vibe 88 60 | happy vibe 92 65
"""

# Words that carry no mood: vision-model boilerplate and talk about music itself.
GENERIC = word_set("""
    music musical musician musicians song songs track tracks playlist soundtrack melody melodies
    tune tunes rhythm rhythms beat beats genre genres style image photo photograph picture scene
    captures capture frame lover lovers hey perfect perfectly inspire inspiration evoke evokes
    evoking vibe vibes mood moods atmosphere feeling feelings emotion emotions overall sense
    description describe influencer social media okay wow attempt sound sounds listener listeners
    color colors colour colours light lighting tone tones feel feels
    """)

# Genre and sound words that name things in photos too ("a metal bucket", "a house", "pops of
# colour", "shades of blues"): counted only in a sentence that talks about music.
MUSIC_ONLY = word_set(
    "metal rock house country soul pop strings folk heavy driving classical latin blues "
    "pounding trance indie electronic"
)
MUSIC_CONTEXT = word_set(
    "music musical song songs genre genres track tracks tune tunes sound sounds soundtrack "
    "playlist melody melodies beat beats band style styles musician musicians"
)

NEGATORS = word_set(
    "not no never without nor neither lacks lacking lack hardly barely isn't aren't wasn't "
    "don't doesn't didn't won't can't cannot nothing"
)
INTENSIFIERS = {
    "very": 1.5, "extremely": 1.8, "so": 1.3, "incredibly": 1.6, "deeply": 1.6, "utterly": 1.7,
    "pure": 1.6, "really": 1.4, "truly": 1.4, "highly": 1.5, "super": 1.5, "totally": 1.4,
    "overwhelmingly": 1.8, "intensely": 1.6, "profoundly": 1.6, "deep": 1.3, "major": 1.3,
    "slightly": 0.5, "somewhat": 0.5, "bit": 0.5, "subtle": 0.45, "hint": 0.45, "touch": 0.5,
    "little": 0.6, "mildly": 0.5, "faint": 0.45, "undercurrent": 0.5, "almost": 0.7,
}  # fmt: skip


def _parse(block: str, weight: float) -> dict[str, MoodWord]:
    entries: dict[str, MoodWord] = {}
    for item in block.replace("\n", "|").split("|"):
        parts = item.split()
        if len(parts) < 3:
            continue
        *words, valence, arousal = parts
        entries[" ".join(words)] = MoodWord(int(valence) / 100, int(arousal) / 100, weight)
    return entries


def build_lexicon() -> dict[str, MoodWord]:
    """Every entry by its word or two-word phrase (the stronger kind wins on a clash)."""
    lexicon: dict[str, MoodWord] = {}
    for block, weight in (
        (APPRAISAL, APPRAISAL_WEIGHT),
        (SCENE, SCENE_WEIGHT),
        (MUSIC, MUSIC_WEIGHT),
        (EMOTION, EMOTION_WEIGHT),
        (PHRASES, EMOTION_WEIGHT),
    ):
        lexicon.update(_parse(block, weight))
    return lexicon


LEXICON: dict[str, MoodWord] = build_lexicon()
