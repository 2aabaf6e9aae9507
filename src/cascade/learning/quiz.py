"""The quiz engine: validate questions, serve an attempt, grade it. Pure, no ORM.

Serving gives every option, item and match a fresh random token, so nothing a browser receives
(ids, order) hints at the answer; the answer key stays in the server-side snapshot of the attempt.
Scoring: one point per question; single, multiple, true/false and short answers are right or
wrong; ordering and matching earn the share of items placed correctly. The score is a percent.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from typing import Any

KINDS = ("single", "multiple", "true_false", "short", "ordering", "matching")


class QuestionError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def normalise_answer(text: str) -> str:
    """Case-, space- and end-punctuation-insensitive form of a short answer."""
    text = re.sub(r"\s+", " ", (text or "").casefold()).strip()
    return text.strip(" .,;:!?\"'")


def _lines(value: Any) -> list[str]:
    """A list of non-blank strings from a list, or from text with one entry a line."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def clean_question(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a question's data for its kind and return it normalised; raise QuestionError."""
    errors: dict[str, str] = {}
    data = dict(data) if isinstance(data, dict) else {}
    if kind not in KINDS:
        raise QuestionError({"kind": f"unknown question kind {kind!r}"})
    if kind == "true_false":
        if not isinstance(data.get("answer"), bool):
            errors["answer"] = "must be true or false"
        fb = data.get("feedback")
        if not isinstance(fb, dict):
            fb = {}
        cleaned: dict[str, Any] = {
            "answer": bool(data.get("answer")),
            "feedback": {"true": str(fb.get("true", "")), "false": str(fb.get("false", ""))},
        }
    elif kind in ("single", "multiple"):
        options = data.get("options")
        if not isinstance(options, list):
            options = []
        out: list[dict[str, Any]] = []
        for i, opt in enumerate(options):
            if not isinstance(opt, dict) or not str(opt.get("text", "")).strip():
                errors[f"options.{i}"] = "every option needs text"
                continue
            out.append(
                {
                    "id": str(opt.get("id") or i + 1),
                    "text": str(opt["text"]).strip(),
                    "correct": bool(opt.get("correct")),
                    "feedback": str(opt.get("feedback", "")),
                }
            )
        n_correct = sum(o["correct"] for o in out)
        if len(out) < 2:
            errors["options"] = "at least two options"
        elif kind == "single" and n_correct != 1:
            errors["options"] = "exactly one option must be correct"
        elif kind == "multiple" and n_correct < 1:
            errors["options"] = "at least one option must be correct"
        if len({o["id"] for o in out}) != len(out):
            errors["options"] = "option ids must be unique"
        cleaned = {"options": out}
    elif kind == "short":
        # An answer that is only punctuation normalises to nothing and could never be matched.
        accepted = [a for a in _lines(data.get("accepted")) if normalise_answer(a)]
        if not accepted:
            errors["accepted"] = "at least one accepted answer"
        cleaned = {"accepted": accepted}
    elif kind == "ordering":
        items = _lines(data.get("items"))
        if len(items) < 2:
            errors["items"] = "at least two items, in the correct order"
        elif len(set(items)) != len(items):
            # Two identical texts look the same to the candidate but grade differently.
            errors["items"] = "items must all differ"
        cleaned = {"items": items}
    else:  # matching
        pairs = []
        raw_pairs = data.get("pairs")
        for i, pair in enumerate(raw_pairs if isinstance(raw_pairs, list) else []):
            if not isinstance(pair, dict):
                pair = {}
            left, right = str(pair.get("left", "")).strip(), str(pair.get("right", "")).strip()
            if not left or not right:
                errors[f"pairs.{i}"] = "every pair needs both sides"
                continue
            pairs.append({"left": left, "right": right})
        distinct = min(len({p["left"] for p in pairs}), len({p["right"] for p in pairs}))
        if len(pairs) < 2:
            errors["pairs"] = "at least two pairs"
        elif distinct != len(pairs):
            # A repeated side could not be told apart when matching.
            errors["pairs"] = "each left and each right side must differ from the others"
        cleaned = {"pairs": pairs}
    if errors:
        raise QuestionError(errors)
    return cleaned


@dataclass(frozen=True)
class BankQuestion:
    """What the engine needs of a bank question."""

    id: int
    kind: str
    prompt: str
    data: dict[str, Any]
    explanation: str = ""


def _token() -> str:
    return secrets.token_hex(4)


def serve(
    questions: list[BankQuestion],
    *,
    rng: random.Random,
    draw_count: int | None = None,
    shuffle_questions: bool = True,
    shuffle_options: bool = True,
) -> list[dict[str, Any]]:
    """Build an attempt's snapshot: the public part and the answer key of each question."""
    chosen = list(questions)
    if draw_count is not None and draw_count < len(chosen):
        chosen = rng.sample(chosen, draw_count)
        if not shuffle_questions:
            order = {q.id: i for i, q in enumerate(questions)}
            chosen.sort(key=lambda q: order[q.id])
    elif shuffle_questions:
        rng.shuffle(chosen)
    served = []
    for q in chosen:
        item: dict[str, Any] = {
            "qid": q.id,
            "kind": q.kind,
            "prompt": q.prompt,
            "explanation": q.explanation,
        }
        if q.kind in ("single", "multiple", "true_false"):
            if q.kind == "true_false":
                fb = q.data.get("feedback", {})
                opts = [
                    {"text": "True", "correct": q.data["answer"], "feedback": fb.get("true", "")},
                    {
                        "text": "False",
                        "correct": not q.data["answer"],
                        "feedback": fb.get("false", ""),
                    },
                ]
            else:
                opts = list(q.data["options"])
                if shuffle_options:
                    rng.shuffle(opts)
            tokens = [_token() for _ in opts]
            item["options"] = [
                {"token": t, "text": o["text"]} for t, o in zip(tokens, opts, strict=True)
            ]
            item["key"] = {
                "correct": [t for t, o in zip(tokens, opts, strict=True) if o["correct"]],
                "feedback": {t: o.get("feedback", "") for t, o in zip(tokens, opts, strict=True)},
            }
        elif q.kind == "short":
            item["key"] = {"accepted": q.data["accepted"]}
        elif q.kind == "ordering":
            tokens = [_token() for _ in q.data["items"]]
            shown = list(zip(tokens, q.data["items"], strict=True))
            while len(shown) > 1 and [t for t, _ in shown] == tokens:
                rng.shuffle(shown)  # never serve the list already in the right order
            item["items"] = [{"token": t, "text": text} for t, text in shown]
            item["key"] = {"order": tokens}
        else:  # matching
            left_tokens = [_token() for _ in q.data["pairs"]]
            right_tokens = [_token() for _ in q.data["pairs"]]
            rights = [
                {"token": rt, "text": p["right"]}
                for rt, p in zip(right_tokens, q.data["pairs"], strict=True)
            ]
            rng.shuffle(rights)
            item["lefts"] = [
                {"token": lt, "text": p["left"]}
                for lt, p in zip(left_tokens, q.data["pairs"], strict=True)
            ]
            item["rights"] = rights
            item["key"] = {"pairs": dict(zip(left_tokens, right_tokens, strict=True))}
        served.append(item)
    return served


def public(served: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What may be sent to the browser before submission: no keys, no explanations."""
    return [{k: v for k, v in item.items() if k not in ("key", "explanation")} for item in served]


def _grade_one(item: dict[str, Any], response: Any) -> dict[str, Any]:
    kind, key = item["kind"], item["key"]
    points = 0.0
    feedback: list[str] = []
    if kind in ("single", "true_false"):
        chosen = response if isinstance(response, str) else ""
        points = 1.0 if chosen in key["correct"] else 0.0
        if key["feedback"].get(chosen):
            feedback.append(key["feedback"][chosen])
    elif kind == "multiple":
        chosen_set = {str(r) for r in response} if isinstance(response, list) else set()
        points = 1.0 if chosen_set == set(key["correct"]) else 0.0
        feedback += [key["feedback"][t] for t in sorted(chosen_set) if key["feedback"].get(t)]
    elif kind == "short":
        given = normalise_answer(response if isinstance(response, str) else "")
        points = 1.0 if given and given in {normalise_answer(a) for a in key["accepted"]} else 0.0
    elif kind == "ordering":
        order = key["order"]
        given_order = [str(t) for t in response] if isinstance(response, list) else []
        right = sum(1 for i, t in enumerate(order) if i < len(given_order) and given_order[i] == t)
        points = right / len(order)
    elif kind == "matching":
        pairs = key["pairs"]
        given_map = response if isinstance(response, dict) else {}
        right = sum(1 for lt, rt in pairs.items() if given_map.get(lt) == rt)
        points = right / len(pairs)
    return {
        "qid": item["qid"],
        "points": round(points, 4),
        "correct": points >= 1.0,
        "feedback": feedback,
        "explanation": item.get("explanation", ""),
    }


def grade(
    served: list[dict[str, Any]], responses: dict[str, Any]
) -> tuple[list[dict[str, Any]], float]:
    """Grade every served question against ``responses`` (keyed by question id as a string)."""
    if not isinstance(responses, dict):
        responses = {}
    results = [_grade_one(item, responses.get(str(item["qid"]))) for item in served]
    if not results:
        return results, 0.0
    score = round(100.0 * sum(r["points"] for r in results) / len(results), 2)
    return results, score


def correct_answer_text(item: dict[str, Any]) -> str:
    """A readable statement of the right answer, shown only after submission."""
    kind, key = item["kind"], item["key"]
    if kind in ("single", "multiple", "true_false"):
        texts = [o["text"] for o in item["options"] if o["token"] in key["correct"]]
        return "; ".join(texts)
    if kind == "short":
        return " / ".join(key["accepted"])
    if kind == "ordering":
        by_token = {i["token"]: i["text"] for i in item["items"]}
        return " → ".join(by_token[t] for t in key["order"])
    lefts = {i["token"]: i["text"] for i in item["lefts"]}
    rights = {i["token"]: i["text"] for i in item["rights"]}
    pairs = key["pairs"]
    # In the order the lefts were shown: PostgreSQL's jsonb does not keep a dict's key order.
    return "; ".join(
        f"{lefts[left['token']]} = {rights[pairs[left['token']]]}" for left in item["lefts"]
    )
