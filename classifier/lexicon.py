"""A transparent French crisis lexicon (and a small age lexicon for minors).

Every rule is a regular expression matched on :func:`classifier.text.fold`-ed text
(lower case, no accents, apostrophes and hyphens as spaces), so "j'ai envie d'en
finir", "jai envie den finir" and "J’AI ENVIE D’EN FINIR" all match. SMS spellings
(jveux, veu, envi, plu, mwa) are written into the rules.

The model uses a hit to RAISE a score (crisis, or minor) to at least its threshold;
a rule can never lower a score. Rules aim at first-person statements of suicidal
intent or self-harm; obvious hyperbole ("mort de rire", "mourir de honte",
"me tuer à la tâche") is excluded, and topics such as "le suicide d'un ami" are
left to the statistical model. The lexicon is a floor for EXPLICIT PRESENT-TENSE
wording only: a crisis hit told in the past, quoted from someone else or found in
prevention material is dropped (:mod:`classifier.hit_context`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifier.hit_context import reportable
from classifier.text import fold_with_map, original_span

# Wanting / going to / thinking of: "je veux", "jveux", "j'vais", "envie de",
# "envie d'", "besoin de", "je pense à", "je préférerais".
_WANT = (
    r"\b(?:j\s*)?(?:veux|veu|vx|vais|voudrais|voudrai|aimerais|aimerai|prefere"
    r"|prefererais|pourrais|ai\s+envie\s+de?|ai\s+envi\s+de?|envie\s+de?|envi\s+de?"
    r"|besoin\s+de?|pense\s+a|penser\s+a|essaye\s+de|essayer\s+de|tente\s+de)"
)
# "... de rire", "... de honte", "... de chaud": hyperbole, never a crisis.
_NOT_HYPERBOLE = (
    r"(?!\s+(?:de|d)\s+(?:rire|honte|chaud|froid|faim|soif|fatigue|ennui|envie"
    r"|jalousie|peur|stress|impatience|bonheur|joie|plaisir))"
)

# Near a hit (same 80 characters), these say the writer is joking or exaggerating:
# "me jeter sous un bus tellement ce cours est chiant (je plaisante)", "envie de
# crever tellement il fait chaud", "je vais finir par me flinguer avec ce robinet".
# Not "😭": people in real distress use it too.
_JOKE = re.compile(
    r"\b(?:mdr|ptdr|lol|xd|jpp\s+de\s+rire|je\s+plaisante|je\s+rigole|j\s+deconne"
    r"|c\s+est\s+une\s+blague|pour\s+rire|finir\s+par|il\s+fait\s+(?:trop\s+)?"
    r"(?:chaud|froid)|canicule|degres|en\s+(?:ranked|game|partie\s+classee))\b"
    r"|[😂🤣😆😅💀😤🙄]"
)
JOKE_WINDOW = 80

CRISIS_RULES: dict[str, str] = {
    # "me suicider", "je vais me suicider", "m suicider", "me suicide".
    "suicide": r"\bm(?:e)?\s*suicid\w*",
    # "je suis suicidaire", "idées suicidaires", "pensées suicidaires".
    "suicidal": (
        r"\b(?:suis|sui|suit|chui|etre|devenu|devenue|redevenu|redevenue)"
        r"\s+suicidaire|\b(?:idees?|pensees?|envies?|tendances?)\s+suicidaires?\b"
    ),
    # A planned or just-made attempt: "refaire une TS", "je viens de faire une TS",
    # "mon frère a fait une TS hier" (a past attempt told as a story is left to
    # the model).
    "attempt": (
        r"\b(?:refaire|viens\s+de\s+faire|vais\s+faire|veux\s+faire)\s+une\s+"
        r"(?:ts|tentative\s+de\s+suicide)\b|\bma\s+prochaine\s+(?:ts|tentative"
        r"\s+de\s+suicide)\b|\b(?:a|ai|as)\s+fait\s+une\s+(?:ts|tentative\s+de\s+"
        r"suicide)\s+(?:hier|cette\s+nuit|ce\s+soir|ce\s+matin|la\s+semaine\s+derniere"
        r"|il\s+y\s+a\s+(?:deux|trois|quelques|\d)\s+jours)\b"
    ),
    # "en finir": "envie d'en finir", "je veux en finir", "en finir avec la vie".
    "en_finir": (
        _WANT + r"\s*en\s+finir\b|\ben\s+(?:finir|terminer)\s+(?:avec\s+)?(?:la|ma)"
        r"\s+vie\b|\ben\s+finir\s+une\s+(?:bonne\s+)?fois\s+pour\s+toutes?\b"
    ),
    # "mettre fin à mes jours", "mettre un terme à ma vie".
    "fin_jours": (
        r"\b(?:mettre|met|mets|mis)\s+(?:fin|un\s+terme)\s+a\s+(?:mes\s+jours|ma\s+vie"
        r"|mon\s+existence)"
    ),
    # "plus envie de vivre", "plu envi de vivre", "aucune raison de vivre",
    # "marre de vivre", "fatiguée de vivre".
    "no_will_to_live": (
        r"\b(?:plus|plu|pas|aucune?|perdu)\s+(?:l\s+)?(?:envie|envi|gout|la\s+force"
        r"|le\s+courage|raison)\s+de\s+vivre\b|\b(?:marre|fatiguee?|lasse?|degoute?e?)"
        r"\s+(?:de\s+vivre|d\s+exister)\b"
    ),
    # "envie de mourir", "jveux mourir", "envie de crever" (not "... de rire"; not
    # "je vais mourir", which is as often fear or illness as intent).
    "want_to_die": (
        _WANT.replace("|vais", "").replace("|pourrais", "")
        + r"\s*(?:mourir|mourrir|crever|creve)\b"
        + _NOT_HYPERBOLE
    ),
    # "je vais me tuer", "envie de me tuer", "... sinon je me tue." (not "me tuer à
    # la tâche", "je me tue à vous le dire").
    "kill_myself": (
        _WANT + r"\s*me\s+tuer\b(?!\s+(?:a\s+la\s+tache|au\s+travail|a\s+bosser"
        r"|au\s+boulot|a\s+la\s+salle|de\s+rire))|\bje\s+me\s+tue\b(?!\s+(?:a|au"
        r"|pour|de|les)\b)"
    ),
    # "je serais mieux mort", "je préférerais être morte".
    "better_dead": (
        r"\bmieux\s+morte?\b|\b(?:prefere|prefererais|preferais)\s+(?:etre\s+)?morte?\b"
    ),
    # "ne plus me réveiller", "m'endormir et ne jamais me réveiller".
    "not_wake_up": (
        r"\bne\s+(?:plus|jamais)\s+me\s+reveiller\b|\bendormir\b.{0,30}?\b(?:plus"
        r"|jamais)\s+(?:me\s+)?reveiller\b|\bdisparaitre\s+(?:pour\s+toujours"
        r"|a\s+jamais|definitivement)\b"
    ),
    # "tout le monde serait mieux sans moi", "un poids pour ma famille",
    # "personne ne me regretterait".
    "burden": (
        r"\b(?:mieux|mieu|mieus)\s+sans\s+(?:moi|mwa)\b|\bun\s+(?:poids|fardeau)\s+pour"
        r"\s+(?:tout\s+le\s+monde|mes\s+proches|ma\s+famille|les\s+autres)"
        r"|\bpersonne\s+ne\s+me\s+regretter\w*"
    ),
    # "me foutre en l'air", "m foutre en lair", "me flinguer", "me pendre".
    "method": (
        r"\bm(?:e)?\s*fout\w*\s+en\s+l\s*air\b|\bme\s+(?:flinguer|pendre|noyer"
        r"|tirer\s+une\s+balle|jeter\s+sous\s+(?:un|le)\s+(?:train|metro|camion|bus)"
        r"|ouvrir\s+les\s+veines|couper\s+les\s+veines)\b"
    ),
    # "sauter du pont", "sauter par la fenêtre", "sauter du 8e étage".
    "jump": (
        r"\bsauter\s+(?:du|d\s+un|de\s+mon|de\s+la|de\s+l|par\s+la|depuis\s+(?:le|la|un"
        r"|mon))\s+(?:haut\s+(?:du|d\s+un|de\s+l)\s+)?(?:pont|fenetre|balcon|immeuble"
        r"|toit|falaise|viaduc|\d+\s*(?:e|eme)?\s*etage)"
    ),
    # Self-harm: "me scarifier", "scarification", "me mutiler", "je me fais du mal",
    # "sans me faire de mal" (not "ça me fait du mal de…"), "me couper les bras".
    "self_harm": (
        r"\bm(?:e)?\s*scarifi\w*|\bscarifications?\b|\bauto\s*mutil\w*|\bme\s+mutil\w*"
        r"|\bje\s+me\s+(?:fais|suis\s+faite?)\s+(?:\w+\s+)?(?:du|de)\s+mal\b"
        r"|\bme\s+faire\s+(?:\w+\s+)?(?:du|de)\s+mal\b(?!\s+a)"
        r"|\bme\s+(?:suis\s+)?tapee?\s+la\s+tete\s+contre|\bme\s+(?:couper|coupe|taillader"
        r"|taillade|entailler)\s+(?:les\s+|le\s+|aux\s+)?(?:veines|bras|poignets?"
        r"|cuisses?)\b"
    ),
    # Overdose: "avaler tous mes médocs", "prendre toute la boîte".
    "overdose": (
        r"\b(?:avaler|avale|prendre|pris|gober)\s+(?:(?:tous|toutes)\s+mes\s+(?:cachets"
        r"|medocs|medicaments|comprimes|pilules|somniferes|anxiolytiques)|toute\s+"
        r"(?:la|ma)\s+(?:boite|plaquette))\b|\b(?:overdose|surdose)\s+volontaire\b"
    ),
    # "ma lettre d'adieu", "j'ai écrit une lettre d'adieu" (not "ses lettres d'adieu"
    # in a film).
    "farewell": (
        r"\b(?:ma|mes)\s+lettres?\s+d\s+adieux?\b|\b(?:ecrit|ecris|ecrire|laisse"
        r"|laisser|redige)\s+(?:une|ma|mes|des)\s+lettres?\s+d\s+adieux?\b"
    ),
    # "mourir a l'air plus simple", "mourir serait la solution".
    "death_easier": (
        r"\bmourir\s+(?:a\s+l\s+air|serait|semble|me\s+semble|c\s+est)\s+(?:plus\s+)?"
        r"(?:simple|facile|mieux|doux|la\s+solution|une\s+solution)\b"
    ),
    # "la seule solution c'est de plus exister", "envie de ne plus exister".
    "not_exist": r"\b(?:de|d|veux|voudrais|envie\s+de)\s+(?:ne\s+)?plus\s+exister\b",
    # Indirect wordings below: warning signs listed by French suicide-prevention
    # guides (ideation, farewell, preparation, a threat to life), first person.
    # "je pense au suicide", "des pensées de suicide" (not "le suicide de mon frère").
    "suicide_thoughts": (
        r"\b(?:je|j)\s+(?:pense|pensais|repense)\s+(?:au|a\s+me)\s+suicid\w*"
        r"(?!\s+(?:de|d|du)\b)|\b(?:j\s+ai|j\s+avais|mes)\s+(?:des\s+)?(?:idees|pensees)"
        r"\s+(?:de|du)\s+suicide\b|\bpenser\s+a\s+(?:me|se)\s+suicider\b"
    ),
    # "je veux plus vivre", "plus envie d'être là", "je n'en peux plus de vivre",
    # "ne plus être en vie" (not "je veux plus vivre chez mes parents").
    "no_longer_alive": (
        r"\b(?:veux|veu|voudrais)\s+(?:plus|plu)\s+(?:vivre|etre\s+en\s+vie|exister)\b"
        r"(?!\s+(?:comme|chez|avec|ici|dans|a|au|aux|en|sous|la|seule?)\b)"
        r"|\bplus\s+(?:l\s+)?(?:envie|envi)\s+d\s+(?:exister|etre\s+la|etre\s+en\s+vie)\b"
        r"|\ben\s+peux\s+plus\s+de\s+vivre\b|\bplus\s+etre\s+en\s+vie\b"
    ),
    # "je ne serai plus là", "si je n'étais plus là", "ne plus être là du tout"
    # (not "après 18h je serai plus là", "quand je ne serai plus là, qui…").
    "not_here": (
        # "(?=j)" first: the look-behinds only run where a "j" starts a word.
        r"\b(?=j)(?<!quand\s)(?<!lorsque\s)(?<!jour\sou\s)(?<![0-9]h\s)(?<![0-9]h[0-9][0-9]\s)"
        r"(?<![0-9]\sh\s)(?<![0-9]heures\s)(?<![0-9]\sheures\s)"
        r"\b(?:je\s+(?:ne\s+)?|j\s*|jne\s+)serai\s+plus\s+la\b"
        r"(?!\s+(?:a|apres|avant|vers|entre|quand|pendant|pour\s+(?:le|la)\s+(?:repas"
        r"|reunion|livraison))\b)|\bsi\s+je\s+(?:n\s+)?(?:etais|suis)\s+plus\s+la\b"
        r"|\bne\s+plus\s+etre\s+la\b"
    ),
    # "dormir et ne plus me réveiller", "m'endormir pour de bon", "disparaître pour
    # de bon", "que tout s'arrête pour de bon".
    "sleep_forever": (
        r"\b(?:en)?dormir\b.{0,30}?\b(?:plus|jamais)\s+(?:me\s+)?reveiller\b"
        r"|\b(?:dormir|endormir|endormais|disparaitre|disparaisse|eteindre)\s+"
        r"(?:pour\s+de\s+bon|pour\s+toujours|une\s+bonne\s+fois\s+pour\s+toutes)\b"
        r"|\bque\s+(?:tout\s+)?(?:ca\s+)?s\s+arrete\s+(?:pour\s+de\s+bon|pour\s+toujours"
        r"|definitivement)\b"
    ),
    # Saying goodbye (not "adieu tout le monde, on se revoit mercredi"): "adieu tout
    # le monde", "dire adieu à ce forum", "ceci est mon
    # dernier message", "ne cherchez pas à me retrouver", "la personne qui me
    # trouvera", "dis aux enfants que je les aimais".
    "goodbye": (
        r"\badieu\s+(?:a\s+)?(?:tout\s+le\s+monde|tous|toutes)\b"
        r"(?!.{0,60}\b(?:on\s+se\s+revoit|a\s+bientot|a\s+plus|a\s+demain|rdv))|\bdire\s+adieu\s+a\s+(?:ce\s+(?:forum|sub|serveur"
        r"|groupe)|vous|tout\s+le\s+monde|tous)\b|\b(?:ceci\s+est|c\s+est)\s+mon\s+"
        r"dernier\s+(?:message|post)\b|\bdernier\s+message\s+ici\b|\bne\s+cherchez"
        r"\s+pas\s+a\s+me\s+(?:retrouver|joindre|contacter)\b|\b(?:la\s+personne"
        r"|celui|celle|ceux)\s+qui\s+me\s+trouver(?:a|ont)\b(?!\s+(?:un|une|des|du"
        r"|le|la|les)\b)|\b(?:dis|dites|dire)\s+(?:a|aux)\s+(?:\w+\s+){0,2}?que\s+je"
        r"\s+(?:les|l|t|vous)\s+aimais\b"
    ),
    # Preparation: "j'ai mis de côté les cachets", "je stocke mes médicaments",
    # "j'ai préparé les médocs" (not "préparé les médocs de ma mère").
    "preparation": (
        r"\b(?:mis|mets|mettre)\s+de\s+cote\s+(?:les|des|mes)\s+(?:cachets|medocs"
        r"|medicaments|comprimes|pilules)\b|\b(?:stocke|stocker|accumule|accumuler"
        r"|prepare|preparer)\s+(?:les|des|mes|tous\s+mes)\s+(?:cachets|medocs"
        r"|medicaments|comprimes|pilules)\b(?!\s+(?:de|du|d|pour|dans\s+le\s+pilulier)"
        r"\b)|\bpasser\s+a\s+l\s+acte\b|\bpasse\s+a\s+l\s+acte\b"
    ),
    # "j'ai pris tous les cachets", "si j'avalais toutes mes pilules".
    "took_pills": (
        r"\b(?:pris|aval\w*|prendre|prends|gob\w*)\s+(?:tous|toutes)\s+(?:les|mes)\s+"
        r"(?:cachets|medocs|medicaments|comprimes|pilules)\b"
    ),
    # Immediate danger from someone else: "il a menacé de me tuer", "il crie qu'il
    # va tous nous buter", "il m'a serré le cou" (not "le PSG va me tuer").
    "threat": (
        r"\bmenac\w*\s+(?:de\s+mort|de\s+me\s+tuer|de\s+nous\s+tuer|avec\s+un"
        r"\s+(?:couteau|fusil|arme|pistolet))\b|\bqu\s+(?:il|elle)\s+(?:va|allait"
        r"|vont|allaient)\s+(?:me|nous|tous\s+nous|nous\s+tous)\s+(?:tuer|buter"
        r"|egorger)\b|\bserre\s+le\s+cou\b|\bm\s+a\s+etranglee?\b"
        r"|\b(?:il|elle)\s+a\s+menace\s+(?:ma|mon|mes|les)\s+(?:fille|fils|enfants?"
        r"|gosses|bebe|femme|mere|pere|soeur|frere)\b|\b(?:essaie|essaye|tente|veut)"
        r"\s+de\s+(?:defoncer|enfoncer|forcer)\s+(?:la|ma|notre)\s+porte\b"
    ),
    # More self-harm: "je me coupe depuis l'été", "envie de me couper", "je me
    # brûle avec…" (not "je me coupe les cheveux", "je me coupe du monde").
    "cutting": (
        r"\b(?:je\s+me|j\s*me|envie\s+de\s+me|recommence\s+a\s+me|arreter\s+de\s+me)"
        r"\s+(?:coupe|couper|brule|bruler)\b(?!\s+(?:les|la|le|l|une|un|des|du|de|d|a"
        r"|au|en|pas|plus|jamais|souvent|parfois|toujours|tout|les\s+cheveux)\b)"
    ),
    # "à quoi bon continuer", "à quoi bon vivre".
    "what_for": (
        r"\ba\s+quoi\s+bon\s+(?:continuer|vivre|rester\s+en\s+vie|me\s+battre"
        r"|me\s+soigner|tenir)\b"
    ),
    # "ma famille serait plus heureuse sans moi", "si je disparaissais", "personne
    # me pleurera".
    "burden_more": (
        r"\b(?:heureux|heureuse|heureuses|libres?|tranquilles?|soulages?|pareil)\s+sans"
        r"\s+moi\b|\bsi\s+je\s+disparaissais\b|\bpersonne\s+(?:ne\s+)?me\s+pleurer\w*"
    ),
    # "me laisser mourir", "me jeter du pont" (not "me jeter par la fenêtre", a
    # common exasperated hyperbole), "accélérer contre un mur".
    "method_more": (
        r"\bme\s+laisser\s+(?:mourir|crever)\b|\bme\s+jeter\s+(?:du|d\s+un|de\s+la"
        r"|de\s+l|depuis\s+le|sous\s+les\s+roues)\s+(?:haut\s+)?(?:du\s+|d\s+un\s+)?"
        r"(?:pont|falaise|viaduc|toit|immeuble|balcon|roues|train|voiture)\b"
        r"|\b(?:accelerer|m\s+encastrer|me\s+planter)\s+(?:\w+\s+){0,2}?(?:contre|dans)"
        r"\s+un\s+(?:mur|arbre|platane|pilier|poteau)\b"
    ),
    # Self-harm on the body: "je me coupe les bras", "je me brûle les poignets",
    # "mes cuisses en code barre" (not "je me coupe les cheveux", "je me brûle la
    # main sur le four").
    "self_harm_body": (
        r"\bme\s+(?:coupe|couper|coupais|taillade|brule|bruler|brulais|griffe"
        r"|griffer)\s+(?:les|le|la|aux)\s+(?:poignets?|avant\s+bras|cuisses?|veines)\b"
        r"|\bme\s+(?:coupe|couper|coupais|taillade)\s+(?:les|le)\s+(?:bras|ventre"
        r"|jambes?)\b|\b(?:bras|cuisses?|poignets?|jambes?)\s+(?:en|comme\s+un"
        r"|ressemblent\s+a\s+(?:un|des))\s+codes?\s+barres?\b"
    ),
    # Losing the point of living: "je vois plus l'intérêt d'être en vie", "aucun
    # intérêt à continuer", "des idées noires" (the French euphemism).
    "no_point": (
        r"\b(?:plus|pas|aucun)\s+(?:l\s+)?(?:interet|sens)\s+(?:de|d|a)\s+(?:vivre"
        r"|etre\s+en\s+vie|continuer\s+a\s+vivre|rester\s+en\s+vie|exister)\b"
        r"|\bidees\s+noires\b"
    ),
    # Being at a dangerous place now: "je suis sur les rails", "assis sur le
    # parapet", "au bord du vide" (not "le train est sur les rails").
    "on_the_edge": (
        r"\b(?:je\s+suis|j\s*suis|jsui|chui|chuis|suis|assise?|debout|je\s+me\s+tiens)"
        r"\s+(?:sur\s+(?:les\s+rails|les\s+voies|la\s+voie\s+ferree|le\s+parapet"
        r"|le\s+rebord|la\s+rambarde|le\s+garde\s+corps)|au\s+bord\s+du\s+(?:vide"
        r"|quai|toit|pont|precipice|la\s+falaise))\b"
    ),
    # Someone else's overdose, or one at hand: "il a pris tous ses cachets",
    # "des boîtes de médicaments vides à côté d'elle".
    "overdose_other": (
        r"\b(?:pris|avale|gobe)\s+(?:tous|toutes)\s+ses\s+(?:cachets|medocs"
        r"|medicaments|comprimes|pilules)\b|\bboites?\s+de\s+(?:cachets|medocs"
        r"|medicaments|comprimes)\s+vides?\b"
    ),
    # "sauter sous le train", "me mettre sous un train".
    "under_train": (
        r"\b(?:sauter|me\s+mettre|me\s+coucher|m\s+allonger)\s+sous\s+(?:le|un|les"
        r"|une)\s+(?:train|tgv|rer|metro|tram|camion|bus|roues|voiture)\b"
    ),
    # Thoughts and images of one's own death (a warning sign in prevention
    # guides): "je m'imagine mort", "je me vois me tuer", "je pense sans cesse à la
    # mort" (not "à la mort de mon père"), and passive wishes: "qu'un accident
    # m'emporte", "si une voiture pouvait me faucher".
    "death_imagery": (
        r"\b(?:je|j)\s+(?:m\s+|me\s+)(?:imagine|imaginais|vois|voyais|surprends\s+a"
        r"\s+m\s+imaginer)\s+(?:\w+\s+)?(?:morte?|mourir"
        + _NOT_HYPERBOLE
        + r"|me\s+(?:tuer|suicider|pendre"
        r"|jeter|noyer)|dans\s+(?:un|mon)\s+cercueil|a\s+mon\s+(?:enterrement"
        r"|propre\s+enterrement))\b"
        r"|\b(?:je|j)\s+(?:pense|pensais|songe)\s+(?!(?:plus|pas|jamais)\b)(?:\w+\s+){0,3}?"
        r"a\s+la\s+mort\b(?!\s+(?:de|d|du|des)\b)"
        r"|\b(?:un|une)\s+(?:accident|maladie|voiture|camion|bus|train|balle)\s+"
        r"(?:qui\s+)?(?:pourrait|pouvait|puisse|viendrait|vienne)\s+(?:\w+\s+)?"
        r"(?:m\s+emporter|me\s+faucher|me\s+tuer|m\s+ecraser|m\s+achever)\b"
    ),
}

MINOR_RULES: dict[str, str] = {
    # "j'ai 15 ans", "jai 16ans", "g 14 ans" (not "j'ai 15 ans de dettes").
    "age": (
        r"\b(?:j\s*ai|g)\s+(?:1[0-7]|[5-9]|treize|quatorze|quinze|seize|dix\s+sept)"
        r"\s*ans\b(?!\s+(?:d|de|que|qu)\b)"
    ),
    # "je suis mineure", "je suis en 3e", "chui au lycée".
    "school": (
        r"\b(?:je\s+suis|j\s*suis|jsui|chui|chuis)\s+(?:mineure?\b|au\s+college\b|au\s+lycee\b"
        r"|en\s+(?:3e|3eme|troisieme|4e|4eme|quatrieme|5e|5eme|seconde|2nde|1ere"
        r"|premiere|terminale)\b)"
    ),
}

_CRISIS = {k: re.compile(v) for k, v in CRISIS_RULES.items()}
_MINOR = {k: re.compile(v) for k, v in MINOR_RULES.items()}


@dataclass(frozen=True)
class Hit:
    """One lexicon match: the rule's name and the phrase as the writer spelt it."""

    rule: str
    phrase: str
    start: int


def _joking(folded: str, start: int, end: int) -> bool:
    window = folded[max(0, start - JOKE_WINDOW) : end + JOKE_WINDOW]
    return _JOKE.search(window) is not None


def _present(folded: str, start: int, end: int) -> bool:
    """The writer's own present wording: not a joke, not past, not a quote,
    not prevention material (:func:`classifier.hit_context.reportable`)."""
    return not _joking(folded, start, end) and reportable(folded, start, end)


def _hits(
    rules: dict[str, re.Pattern[str]], text: str, present: bool = False
) -> list[Hit]:
    folded, index = fold_with_map(text)
    hits = [
        Hit(name, original_span(text, index, m.start(), m.end()).strip(), m.start())
        for name, pattern in rules.items()
        for m in pattern.finditer(folded)
        if not present or _present(folded, m.start(), m.end())
    ]
    return sorted(hits, key=lambda h: h.start)


def crisis_hits(text: str) -> list[Hit]:
    """Crisis phrases of the writer's present situation in ``text``, in reading
    order (jokes, past stories, quotes of others and prevention material are
    left to the statistical model)."""
    return _hits(_CRISIS, text, present=True)


def minor_hits(text: str) -> list[Hit]:
    """Phrases saying the writer is under 18, in reading order."""
    return _hits(_MINOR, text)
