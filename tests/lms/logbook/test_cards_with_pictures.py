"""Cards made and joined with pictures; a group's cards printed for every member, QR codes clear."""

import re
import shutil
import subprocess
from html import unescape

import pytest
from django.urls import reverse

from lms.accounts.cards_pdf import COLUMNS, ROWS, card_origin, card_url, cards_pdf, qr_box
from lms.accounts.models import LearnerProfile, Role, SignInCard, SignInEvent
from lms.accounts.services import card_check_secret, card_issue
from tests.factories import AssociationFactory, GroupFactory, learner_in, trainer_in
from tests.lms.databases import missing_service
from tests.pdf_text import drawn_text, pdf_words

pytestmark = pytest.mark.django_db

PICTURES = {"picture_1": "cat", "picture_2": "sun", "picture_3": "fish"}


@pytest.fixture
def setting():
    association = AssociationFactory(name="EPN Les Tilleuls")
    trainer = trainer_in(association, display_name="Thomas")
    group = GroupFactory(association=association, name="Groupe lundi")
    group.trainers.add(trainer)
    learners = [learner_in(association, display_name=name) for name in ("Ahmed", "Ana")]
    group.learners.add(*learners)
    return {"association": association, "trainer": trainer, "group": group, "learners": learners}


@pytest.fixture
def trainer_client(client, setting):
    client.force_login(setting["trainer"])
    return client


def test_the_card_form_offers_the_nine_sign_in_pictures_to_tap_not_selects(trainer_client, setting):
    page = trainer_client.get(reverse("logbook:learner_card", args=[setting["learners"][0].pk]))
    html = page.content.decode()
    assert "<select" not in html
    # Three positions, each the nine pictures of the sign-in screen as radio buttons.
    assert len(re.findall(r'type="radio" name="picture_1"', html)) == 9
    assert len(re.findall(r'type="radio" name="picture_3"', html)) == 9
    assert "pictures.svg#cat" in html
    assert "chat" in html  # the picture's name, in the learner's language


def test_a_card_made_with_three_tapped_pictures_signs_in_with_them(trainer_client, setting):
    learner = setting["learners"][0]
    response = trainer_client.post(reverse("logbook:learner_card", args=[learner.pk]), PICTURES)
    assert response.status_code == 302
    card = SignInCard.objects.get(learner=learner, is_active=True)
    assert not card.pin_hash
    assert card_check_secret(card_id=card.pk, pictures=["cat", "sun", "fish"]).ok
    assert not card_check_secret(card_id=card.pk, pictures=["sun", "cat", "fish"]).ok


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "code secret ou un code image"),
        ({"picture_1": "cat", "picture_2": "cat", "picture_3": "sun"}, "trois images différentes"),
        ({"picture_1": "cat", "picture_2": "sun"}, "trois images différentes"),
        ({"pin": "12a4"}, "exactement 4 chiffres"),
    ],
)
def test_a_card_needs_a_pin_or_three_different_pictures(trainer_client, setting, data, message):
    learner = setting["learners"][0]
    response = trainer_client.post(reverse("logbook:learner_card", args=[learner.pk]), data)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not SignInCard.objects.filter(learner=learner).exists()


def test_a_pin_alone_still_makes_a_card(trainer_client, setting):
    learner = setting["learners"][0]
    trainer_client.post(reverse("logbook:learner_card", args=[learner.pk]), {"pin": "2468"})
    card = SignInCard.objects.get(learner=learner, is_active=True)
    assert not card.picture_hash
    assert card_check_secret(card_id=card.pk, pin="2468").ok


@pytest.fixture
def card_elsewhere(setting):
    elsewhere = AssociationFactory(name="Le Fil")
    learner = learner_in(elsewhere, display_name="Khadija")
    return card_issue(learner=learner, association=elsewhere, pictures=["tree", "car", "star"])


def test_a_learner_joins_a_second_association_with_their_picture_code(
    trainer_client, setting, card_elsewhere
):
    url = reverse("logbook:learner_join")
    trainer_client.post(url, {"code": card_elsewhere.short_code})
    page = trainer_client.get(url).content.decode()
    assert 'name="picture_1"' in page
    assert 'name="pin"' not in page  # this card has no 4-digit code
    wrong = {"picture_1": "car", "picture_2": "tree", "picture_3": "star"}
    response = trainer_client.post(url, wrong)
    assert "ne marche pas" in response.content.decode()
    learner = card_elsewhere.learner
    assert not learner.memberships.filter(association=setting["association"]).exists()
    right = {"picture_1": "tree", "picture_2": "car", "picture_3": "star"}
    response = trainer_client.post(url, right)
    assert response.url == reverse("logbook:learner", args=[learner.pk])
    assert learner.memberships.filter(association=setting["association"], role=Role.LEARNER)


def test_group_cards_name_the_members_without_a_card_before_making_theirs(trainer_client, setting):
    group = setting["group"]
    ahmed, ana = setting["learners"]
    card_issue(learner=ahmed, association=setting["association"], pin="1357")
    LearnerProfile.objects.create(user=ana, family_name="Lopes", year_of_birth=1971)
    # The PDF waits for the confirmation while a member has no card.
    response = trainer_client.get(reverse("logbook:group_cards_pdf", args=[group.pk]))
    assert response.url == reverse("logbook:group_cards", args=[group.pk])
    page = unescape(trainer_client.get(response.url).content.decode())
    assert "Ana" in page and "Lopes" in page and "1971" in page
    assert "Ahmed" not in page  # has a card: not on the list
    assert not SignInCard.objects.filter(learner=ana).exists()  # nothing made before confirming

    response = trainer_client.post(reverse("logbook:group_cards", args=[group.pk]))
    assert response.url == reverse("logbook:group_cards_pdf", args=[group.pk])
    new_card = SignInCard.objects.get(learner=ana, is_active=True)
    assert not new_card.pin_hash and not new_card.picture_hash
    pdf = trainer_client.get(response.url)
    assert pdf["Content-Type"] == "application/pdf"
    text = drawn_text(pdf.content)
    assert "Ahmed" in text and "Ana L." in text  # every member, the family initial added
    assert new_card.short_code in text


def test_a_card_printed_without_a_secret_signs_nobody_in_until_the_learner_chooses_one(
    client, trainer_client, setting
):
    group, ana = setting["group"], setting["learners"][1]
    trainer_client.post(reverse("logbook:group_cards", args=[group.pk]))
    card = SignInCard.objects.get(learner=ana, is_active=True)

    visitor = client.__class__()
    page = visitor.get(reverse("accounts:card_start", args=[card.token]))
    assert "pas encore prête" in unescape(page.content.decode())
    assert "_auth_user_id" not in visitor.session

    # The trainer opens the card screen: the secret goes on the printed card, kept as it is.
    page = trainer_client.get(reverse("logbook:learner_card", args=[ana.pk]))
    assert "déjà imprimée" in unescape(page.content.decode())
    trainer_client.post(reverse("logbook:learner_card", args=[ana.pk]), PICTURES)
    card.refresh_from_db()
    assert card.is_active and SignInCard.objects.filter(learner=ana).count() == 1
    assert SignInEvent.objects.filter(card=card, kind=SignInEvent.Kind.SECRET_SET).exists()
    visitor.get(reverse("accounts:card_start", args=[card.token]))
    for picture in ("cat", "sun", "fish"):
        response = visitor.post(reverse("accounts:card_pictures"), {"picture": picture})
    assert response.url == reverse("learning:my_path")


def test_no_text_is_printed_over_a_qr_code_and_every_qr_code_decodes(tmp_path, setting):
    """A full page of ten cards with long names and association names: every word stays off
    the QR codes, and each QR code, cut out of the page rendered at 150 dpi, decodes to its
    card's address (poppler's pdftoppm and zbar's zbarimg)."""
    if shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None:
        missing_service(
            "pdftoppm and zbarimg (make test installs poppler-utils, zbar-tools)", OSError()
        )
    from PIL import Image

    association = AssociationFactory(
        name="Association pour l'alphabétisation et l'inclusion numérique de Molenbeek-Saint-Jean"
    )
    cards = []
    for index in range(COLUMNS * ROWS):
        learner = learner_in(association, display_name=f"Marie-Christine-Alexandra {index}")
        LearnerProfile.objects.create(user=learner, family_name="Vandenbroucke")
        cards.append(card_issue(learner=learner, association=association, pin="1234"))
    pdf_path = tmp_path / "cards.pdf"
    pdf_path.write_bytes(cards_pdf(cards))

    words = [
        (x0, y0, x1, y1, word)
        for word, x0, y0, x1, y1 in pdf_words(pdf_path.read_bytes(), tmp_path)[0]
    ]
    assert any(word.startswith("Marie") for *_box, word in words)
    page_height = 841.89
    for slot in range(len(cards)):
        left, bottom, right, top = qr_box(*card_origin(slot))
        for x0, y0, x1, y1, word in words:
            overlaps = (
                x0 < right and x1 > left and y0 < page_height - bottom and y1 > page_height - top
            )
            assert not overlaps, f"“{word}” is printed over the QR code of card {slot + 1}"

    dpi = 150
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf_path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png")))
    scale = dpi / 72
    for slot, card in enumerate(cards):
        left, bottom, right, top = qr_box(*card_origin(slot))
        crop = tmp_path / f"qr-{slot}.png"
        image.crop(
            (
                round(left * scale),
                round((page_height - top) * scale),
                round(right * scale),
                round((page_height - bottom) * scale),
            )
        ).save(crop)
        decoded = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(crop)], capture_output=True, text=True
        ).stdout.strip()
        assert decoded == card_url(card), f"card {slot + 1}"
