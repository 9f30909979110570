"""The text sent to every voice: inclusive forms, abbreviations and icons, in fr and nl."""

import pytest

from courses.listening import html_for_listening, text_for_listening


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("Vous êtes seul·e ?", "Vous êtes seule ou seul ?"),
        ("Bienvenue aux apprenant·es.", "Bienvenue aux apprenantes et apprenants."),
        ("les apprenant·e·s", "les apprenantes et apprenants"),
        ("les formateur·rice·s", "les formatrices et formateurs"),
        ("un·e formateur·trice", "une ou un formatrice ou formateur"),
        ("tou·tes les inscrit(e)s", "toutes et tous les inscrites et inscrits"),
        ("Il·elle est heureux·se", "Elle ou il est heureuse ou heureux"),
        ("ceux·celles qui sont prêt.e.s", "celles et ceux qui sont prêtes et prêts"),
        ("le·la premier·ère", "la ou le première ou premier"),
        ("il/elle signe", "il ou elle signe"),
        ("Allez au CPAS.", "Allez au C.P.A.S., le centre public d'action sociale."),
        (
            "Votre carte eID et itsme, etc.",
            "Votre carte d'identité électronique et its mi, et cetera",
        ),
        # Not inclusive forms: addresses, an ordinary full stop, words containing "eID".
        ("www.cpas.be. Fin.Les", "www.cpas.be. Fin.Les"),
        ("Le SPF   Finances", "Le service public fédéral Finances"),
    ],
)
def test_french_text_is_written_for_listening(written, heard):
    assert text_for_listening(written, "fr") == heard


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("De medewerk(st)er helpt.", "De medewerkster of medewerker helpt."),
        ("Vraag het aan de begeleid(st)er.", "Vraag het aan de begeleidster of begeleider."),
        ("De student(e) leest.", "De studente of student leest."),
        ("Alle deelnemer(s) en leerling(en)", "Alle deelnemers en leerlingen"),
        ("Hij/zij opent een e-mail.", "Hij of zij opent een e-mail."),
        (
            "Ga naar het OCMW",
            "Ga naar het O.C.M.W., het openbaar centrum voor maatschappelijk welzijn",
        ),
        (
            "Neem je eID-kaart, bv. met itsme.",
            "Neem je elektronische identiteitskaart, bijvoorbeeld met its mie.",
        ),
        ("Vul het formulier in, enz.", "Vul het formulier in, enzovoort"),
    ],
)
def test_dutch_text_is_written_for_listening(written, heard):
    assert text_for_listening(written, "nl-be") == heard


def test_an_unknown_language_is_read_with_the_french_rules():
    assert text_for_listening("seul·e", "de") == "seule ou seul"


def test_a_screen_is_read_with_its_icons_labels_and_without_what_is_hidden():
    html = (
        "<h1>Bonjour</h1>"
        '<p>Touchez <svg aria-hidden="true"><use href="#card"/></svg>'
        '<img src="card.png" alt="votre carte"> pour entrer</p>'
        '<button><span class="icon" aria-label="Haut-parleur"></span>Écouter</button>'
        "<p hidden>Message caché</p><script>alert(1)</script>"
        '<ol class="dots" aria-label="Étape 2 sur 5"><li>1</li><li>2</li></ol>'
        "<div data-listen-skip><button>Écouter</button></div>"
        "<p>Les apprenant·es, le CPAS</p>"
    )
    assert html_for_listening(html, "fr") == (
        "Bonjour. Touchez votre carte pour entrer. Haut-parleur Écouter. Étape 2 sur 5. "
        "Les apprenantes et apprenants, le C.P.A.S., le centre public d'action sociale."
    )


def test_a_dutch_screen_is_read_in_sentences():
    html = "<h2>Stap 1</h2><p>Open je e-mail</p><a href='/'>Terug</a>"
    assert html_for_listening(html, "nl") == "Stap 1. Open je e-mail. Terug."
