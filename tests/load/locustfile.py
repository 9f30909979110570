"""Simulated learners following modules, for `make load` (tests/load/run.py starts it).

Each simulated learner uses a session prepared by run.py (signing in 200 times from one
address would rightly hit the sign-in rate limit), opens Mon parcours, then goes through
a module step by step, sending each step's statement like the player does. One post in
twenty is sent twice with the same statement id, as a phone does when the network drops
after the server answered: the replay must not add a row.
"""

import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
SENT: list[str] = []  # accepted by the server (200, ok)
ATTEMPTED: list[str] = []  # every id posted, answered or not (the run may stop mid-request)
REFUSED = 0  # a step this generic answer does not fit: 400 with a message, nothing stored
REPLAYED: list[str] = []
STEP_COUNT = re.compile(r'name="statement_id"')


class Learner(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.session_key = PLAN["sessions"].pop()
        self.client.cookies.set("sessionid", self.session_key)
        self.client.get("/mon-parcours/", name="Mon parcours")
        self.csrf = self.client.cookies.get("csrftoken", "")

    @task
    def follow_a_module(self):
        module = random.choice(PLAN["modules"])
        with self.client.get(
            f"/apprendre/{module}/etape/1/", name="step page", catch_response=True
        ) as first:
            # Sent to the sign-in page: the learner's session was lost (a Redis outage must
            # not do that), whatever the status of the page it ends on.
            if "/connexion/" in first.url:
                first.failure("signed out")
            elif first.ok:
                first.success()
        steps = len(STEP_COUNT.findall(first.text)) or 1
        for number in range(1, steps + 1):
            if number > 1:
                self.client.get(f"/apprendre/{module}/etape/{number}/", name="step page")
            self.send_step(module, number)
        self.client.get("/mon-parcours/", name="Mon parcours")

    def send_step(self, module: int, number: int):
        statement_id = str(uuid.uuid4())
        data = {
            "statement_id": statement_id,
            "answer": "0",
            **{f"field-{i}": "test" for i in range(6)},
            **{f"message-{i}": "scam" for i in range(6)},
            "h5p_verb": "answered",
            "h5p_raw": "1",
            "h5p_max": "2",
            "h5p_scaled": "0.5",
            "h5p_success": "false",
            "h5p_completion": "true",
        }
        global REFUSED
        headers = {"Accept": "application/json", "X-CSRFToken": self.csrf}
        url = f"/apprendre/{module}/etape/{number}/"
        ATTEMPTED.append(statement_id)
        with self.client.post(
            url, data=data, headers=headers, name="statement", catch_response=True
        ) as response:
            if response.status_code == 200 and response.json().get("ok"):
                SENT.append(statement_id)
                response.success()
            elif response.status_code == 400:
                REFUSED += 1
                response.success()
                return
            else:
                response.failure(f"status {response.status_code}")
                return
        # Only an accepted statement is replayed: the phone that lost the server's answer.
        if random.random() < 0.05:
            with self.client.post(
                url, data=data, headers=headers, name="statement (replay)", catch_response=True
            ) as response:
                if response.status_code == 200:
                    REPLAYED.append(statement_id)
                    response.success()
                else:
                    response.failure(f"replay status {response.status_code}")


@events.test_stop.add_listener
def write_sent_ids(environment, **kwargs):
    with open(os.environ["LOAD_SENT"], "w", encoding="utf-8") as out:
        json.dump(
            {"sent": SENT, "attempted": ATTEMPTED, "refused": REFUSED, "replayed": REPLAYED}, out
        )
