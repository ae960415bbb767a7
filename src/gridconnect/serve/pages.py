"""The page for policy staff: paste or upload an application (or fill in the form generated
from its JSON Schema, :mod:`gridconnect.serve.form`) and read the decision in Chinese or
English, or browse the rules in force for a place and a date. Server-rendered with Jinja2
templates (``templates/``), no JavaScript; labels and values come from
:mod:`gridconnect.output.text`, so the page says what the terminal says."""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import TYPE_CHECKING, Any

import jinja2
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile

from gridconnect.cli import jurisdiction_rows, rule_rows
from gridconnect.decide.decision import Decision
from gridconnect.errors import InputError, Problem
from gridconnect.model.schema import application_schema
from gridconnect.output.labels import Labels, check_lang
from gridconnect.rules.places import find_jurisdiction
from gridconnect.serve.form import FormField, application_from_form, form_fields
from gridconnect.serve.openapi import example_application
from gridconnect.serve.problems import HttpError

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["decision_view", "error_page", "handlers", "render_page"]

HTML = "text/html"

# Words of the page itself, (en, zh).
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Grid connection: check a case", "获得电力：办电判定"),
    "rules_title": ("Rules in force", "现行规则"),
    "paste": ("Paste an application (JSON)", "粘贴申请（JSON）"),
    "upload": ("or upload a file", "或上传文件"),
    "as_of": ("Rules as of (blank: the date applied)", "适用规则日期（留空：申请日期）"),
    "lang": ("Language", "语言"),
    "decide": ("Decide", "判定"),
    "example": ("Fill in an example", "填入示例"),
    "browse": ("Browse the rules in force", "浏览现行规则"),
    "application": ("Application", "申请"),
    "chain": ("Jurisdictions", "辖区"),
    "rules_as_of": ("rules as of", "适用规则日期"),
    "engine": ("engine", "引擎"),
    "conclusions": ("Decision", "判定结论"),
    "slot": ("Item", "事项"),
    "value": ("Value", "结论"),
    "rule": ("Rule", "规则"),
    "deadlines": ("Deadlines", "办理时限"),
    "stage": ("Stage", "环节"),
    "due": ("Due", "截止日期"),
    "limit": ("Limit", "时限"),
    "from": ("Counted from", "起算日"),
    "provisional": ("provisional", "暂定"),
    "documents": ("Documents", "申请材料"),
    "required": ("required", "须提交"),
    "waived": ("waived", "免提交"),
    "acceptance": ("Acceptance with documents missing (容缺受理)", "容缺受理"),
    "undetermined": ("Undetermined", "待定事项"),
    "waits_on": ("waits on", "取决于"),
    "questions": ("Questions that could change the decision", "可能改变结论的问题"),
    "trace": ("Derivation, with sources", "推导过程与依据"),
    "when": ("when", "条件"),
    "facts": ("facts", "事实"),
    "sets": ("sets", "结论"),
    "source": ("source", "依据"),
    "none": ("no rule applies", "没有规则适用"),
    "jurisdiction": ("Jurisdiction", "辖区"),
    "date": ("Date", "日期"),
    "show": ("Show", "显示"),
    "condition": ("Condition", "条件"),
    "citation": ("Source", "依据"),
    "error": ("The input has problems", "输入有误"),
    "where": ("Where", "位置"),
    "problem": ("Problem", "问题"),
    "back": ("Back", "返回"),
    "api": ("API documentation", "接口文档"),
    "form": ("Fill in a form", "填写表单"),
    "form_note": (
        "The fields follow the application's JSON Schema; a blank field, and a row of a list "
        "left blank, are left out. An application the form cannot hold (a bundle's details "
        "or route) is pasted as JSON.",
        "表单字段按申请的 JSON Schema 生成；留空的字段和整行留空的列表项不提交。表单无法填写的"
        "内容（一次办请求的详情或路由）请以 JSON 粘贴。",
    ),
    "required_mark": ("required", "必填"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("gridconnect.serve", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, lang: str, **context: object) -> str:
    """A template of this package rendered in ``lang`` (``zh`` or ``en``)."""
    zh = lang == "zh"
    words = {k: v[zh] for k, v in WORDS.items()}
    return _environment().get_template(template).render(lang=lang, t=words, **context)


_HEADLINE = ("track", "supply", "zero_investment", "investment_boundary", "procedure_steps")


def _headline_first(item: tuple[str, Any]) -> tuple[int, str]:
    """The order an applicant reads in: the headline, approval, then the rest by name."""
    slot = item[0]
    if slot in _HEADLINE:
        return _HEADLINE.index(slot), slot
    return (len(_HEADLINE) if slot.startswith("approval.") else len(_HEADLINE) + 1), slot


def decision_view(decision: Decision, lang: str, labels: Labels) -> JSONObject:
    """What the decision template shows, every label and value already in ``lang``, in the
    words of the registry's vocabulary (:mod:`gridconnect.output.labels`), as the CLI's text."""
    lg = check_lang(lang)
    zh = lg == "zh"
    return {
        "id": decision.application_id,
        "chain": " › ".join(decision.jurisdictions),
        "as_of": decision.as_of.isoformat(),
        "engine": decision.engine,
        "conclusions": [
            {
                "label": labels.slot(slot, lg),
                "value": labels.value(slot, c.value, lg),
                "rule": c.rule,
            }
            for slot, c in sorted(decision.conclusions.items(), key=_headline_first)
            if not slot.startswith("document.")
        ],
        "deadlines": [
            {
                "label": labels.slot(d.slot, lg),
                "due": d.due.isoformat(),
                "limit": labels.limit(d.limit, lg),
                "start": d.start.isoformat(),
                "provisional": d.provisional,
            }
            for d in decision.deadlines
        ],
        "required": [labels.slot(f"document.{k}", lg) for k in decision.documents_required],
        "waived": [labels.slot(f"document.{k}", lg) for k in decision.documents_waived],
        "undetermined": [
            {"label": labels.slot(slot, lg), "rules": ", ".join(rules)}
            for slot, rules in decision.undetermined.items()
        ],
        "questions": [
            {"path": q.path, "prompt": q.prompt.zh if zh else q.prompt.en}
            for q in decision.questions
        ],
        "trace": [
            {
                "rule": t.rule,
                "title": t.title.zh if zh else t.title.en,
                "condition": t.condition,
                "facts": ", ".join(f"{labels.fact(k, lg)}={v!s}" for k, v in t.facts.items()),
                "sets": ", ".join(
                    f"{labels.slot(k, lg)}={labels.value(k, v, lg)}" for k, v in t.sets.items()
                ),
                "outcome": labels.outcome(t.outcome, lg)
                + (f" ({', '.join(t.by)})" if t.by else ""),
                "source": " ".join(
                    x for x in (t.citation.title, t.citation.number, t.citation.article) if x
                ),
                "issuer": t.citation.issuer,
                "confidence": t.citation.confidence.value,
                "quote": t.citation.quote,
            }
            for t in decision.trace
        ],
    }


def _lang(value: Any) -> str:
    return value if value in ("zh", "en") else "zh"


def _date(value: Any, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(
            [Problem(path=name, en="is not a date YYYY-MM-DD", zh="不是有效日期（YYYY-MM-DD）")],
            source="form",
        ) from None


def error_page(request: Request[Any, Any, Any], problem: HttpError) -> Response[str]:
    """A problem as a page: what is wrong, located, in the page's language."""
    lang = _lang(request.query_params.get("lang"))
    html = render_page(
        "error.html",
        lang,
        status=problem.status,
        detail=problem.detail,
        problems=[{"path": p.path, "en": p.en, "zh": p.zh} for p in problem.problems],
    )
    return Response(html, media_type=HTML, status_code=problem.status)


@get("/")
async def index(request: Request[Any, Any, Any]) -> Response[str]:
    """The form: paste or upload an application."""
    lang = _lang(request.query_params.get("lang"))
    text = example_application().decode() if request.query_params.get("example") else ""
    return Response(render_page("index.html", lang, text=text), media_type=HTML)


@post("/ui/decision", status_code=200)
async def decision_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The decision on the pasted or uploaded application."""
    service = request.app.state.service
    form = await request.form()
    lang = _lang(form.get("lang"))
    upload = form.get("file")
    body: bytes = b""
    if isinstance(upload, UploadFile):
        body = await upload.read()
    if not body.strip():
        body = str(form.get("application") or "").encode("utf-8")
    if not body.strip():
        raise InputError(
            [
                Problem(
                    path="application", en="paste or upload an application", zh="请粘贴或上传申请"
                )
            ],
            source="form",
        )
    as_of = _date(form.get("as_of"), "as_of")

    html = await service.compute("page", body, as_of, lang)
    return Response(html.decode("utf-8"), media_type=HTML)


@functools.cache
def _form_fields() -> tuple[FormField, ...]:
    return form_fields(application_schema())


@get("/ui/form")
async def form_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The application as a form generated from its JSON Schema (:mod:`.form`)."""
    lang = _lang(request.query_params.get("lang"))
    groups: dict[str, list[FormField]] = {}
    for field in _form_fields():
        groups.setdefault(field.group, []).append(field)
    html = render_page("form.html", lang, groups=groups)
    return Response(html, media_type=HTML)


@post("/ui/form", status_code=200)
async def form_decision_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The decision on the application filled in on the form."""
    service = request.app.state.service
    form = await request.form()
    lang = _lang(form.get("lang"))
    as_of = _date(form.get("as_of"), "as_of")
    data = application_from_form(
        lambda name: [str(v) for v in form.getall(name, [])], _form_fields()
    )
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    html = await service.compute("page", body, as_of, lang)
    return Response(html.decode("utf-8"), media_type=HTML)


@get("/ui/rules")
async def rules_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The rules in force in a jurisdiction on a date, with their conditions and sources."""
    service = request.app.state.service
    lang = _lang(request.query_params.get("lang"))
    zh = lang == "zh"
    on = _date(request.query_params.get("as_of"), "as_of") or date.today()
    places = [
        {"code": j["code"], "name": f"{j['zh'] if zh else j['en']} ({j['alias']})"}
        for j in jurisdiction_rows(service.registry.catalogue)
    ]
    jurisdiction = request.query_params.get("jurisdiction") or places[0]["code"]

    def work() -> list[dict[str, Any]]:
        catalogue = service.registry.catalogue
        found = find_jurisdiction(catalogue, jurisdiction)
        return rule_rows(catalogue.rulebook(found.jurisdiction.code, on))

    rows = await service.run(work)
    html = render_page(
        "rules.html",
        lang,
        places=places,
        jurisdiction=jurisdiction,
        as_of=on.isoformat(),
        rows=[
            {
                "id": r["id"],
                "title": r["title_zh"] if zh else r["title"],
                "jurisdiction": r["jurisdiction"],
                "when": r["when"],
                "citation": r["citation"],
                "from": r["effective_from"],
            }
            for r in rows
        ],
    )
    return Response(html, media_type=HTML)


def handlers() -> list[Any]:
    """The route handlers of the staff pages."""
    return [index, decision_page, form_page, form_decision_page, rules_page]
