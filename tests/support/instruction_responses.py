"""Planted responses for the instruction checkers' tests: for each instruction type, one
built to follow drawn parameters and one built to break them, seeded. A broken response
breaks the instruction in every loose reading too (IFEval's: first or last line removed,
asterisks stripped), so it must fail in both modes; a following one passes in both.

The filler is plain lowercase English without commas, digits, brackets or asterisks, so
it neither helps nor hurts any instruction by accident."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

FILLER_VOCAB = ("the", "team", "will", "review", "plan", "next", "week", "and", "share",
                "notes", "with", "everyone", "soon", "after", "that", "we", "can", "agree",
                "on", "steps", "for", "our", "project", "it", "is", "a", "good", "time", "to",
                "start", "work", "this", "morning", "they", "said", "all", "went", "well")
TOPIC = ("invoice", "dispute", "refund", "warranty", "shipment", "lyon")
SECTIONS = ("Chapter I. The Arrival", "Chapter II. The Search", "Chapter III. The End")
PROMPT = "explain to the customer why the refund for the damaged shipment is late"
FOREIGN = {
    "fr": "je pense que le projet est prêt et que nous pouvons le présenter dans la semaine "
          "avec les notes de la réunion pour que tout le monde sache ce qui est prévu pour "
          "la suite et ce que nous devons faire",
    "de": "ich denke dass das projekt bereit ist und wir es in der woche mit den notizen "
          "vorstellen können damit sich alle auf die nächsten schritte einstellen und wir "
          "nicht zu spät sind",
    "es": "creo que el proyecto está listo y que lo podemos presentar en la semana con las "
          "notas de la reunión para que todos sepan lo que se espera y lo que viene después "
          "para el equipo",
    "pt": "eu acho que o projeto está pronto e que podemos apresentar na semana com as notas "
          "da reunião para que todos saibam o que vem a seguir e o que se espera da equipe",
    "it": "penso che il progetto sia pronto e che lo possiamo presentare nella settimana con "
          "le note della riunione per fare in modo che tutti sappiano che cosa viene dopo e "
          "che cosa si fa",
    "nl": "ik denk dat het project klaar is en dat we het in de week met de notities van de "
          "vergadering kunnen presenteren zodat iedereen weet wat er komt en wat er van het "
          "team verwacht wordt",
    "sv": "jag tror att projektet är klart och att vi kan presentera det under veckan med "
          "anteckningarna från mötet så att alla vet vad som kommer och vad som förväntas av "
          "teamet och av oss",
    # The rest of IFEval's languages (a drawn response_language asks for one of them).
    "ar": "أعتقد أن المشروع جاهز وأننا نستطيع تقديمه خلال الأسبوع مع ملاحظات الاجتماع حتى "
          "يعرف الجميع ما هو قادم وما هو متوقع من الفريق",
    "hi": "मुझे लगता है कि परियोजना तैयार है और हम इसे इस सप्ताह बैठक के नोट्स के साथ "
          "प्रस्तुत कर सकते हैं ताकि सभी को पता हो कि आगे क्या होगा और टीम से क्या अपेक्षा है",
    "ru": "я думаю что проект готов и мы можем представить его на этой неделе вместе с "
          "заметками со встречи чтобы все знали что будет дальше и чего ждут от команды",
    "ja": "プロジェクトの準備はできていると思うので今週中に会議のメモと一緒に発表して次に何を"
          "するのかをみんなが分かるようにしましょう",
    "bn": "আমার মনে হয় প্রকল্পটি প্রস্তুত এবং আমরা এই সপ্তাহে সভার নোটসহ এটি উপস্থাপন করতে "
          "পারি যাতে সবাই জানে এরপর কী আসছে এবং দলের কাছ থেকে কী আশা করা হয়",
    "uk": "я думаю що проєкт готовий і ми можемо представити його цього тижня разом із "
          "нотатками зустрічі щоб усі знали що буде далі і чого чекають від команди",
    "th": "ผมคิดว่าโครงการพร้อมแล้วและเราสามารถนำเสนอได้ในสัปดาห์นี้พร้อมกับบันทึกการประชุม"
          "เพื่อให้ทุกคนรู้ว่าจะเกิดอะไรขึ้นต่อไป",
    "ur": "میرا خیال ہے کہ منصوبہ تیار ہے اور ہم اسے اس ہفتے میٹنگ کے نوٹس کے ساتھ پیش کر "
          "سکتے ہیں تاکہ سب جان لیں کہ آگے کیا ہوگا اور ٹیم سے کیا توقع ہے",
    "ta": "திட்டம் தயாராக உள்ளது என்று நான் நினைக்கிறேன் மேலும் இந்த வாரம் கூட்டக் "
          "குறிப்புகளுடன் அதை நாம் வழங்கலாம் அதனால் அடுத்து என்ன நடக்கும் என்பது "
          "அனைவருக்கும் தெரியும்",
    "te": "ప్రాజెక్ట్ సిద్ధంగా ఉందని నేను అనుకుంటున్నాను మరియు ఈ వారం సమావేశ గమనికలతో పాటు "
          "దానిని మనం సమర్పించవచ్చు తద్వారా తర్వాత ఏమి జరుగుతుందో అందరికీ తెలుస్తుంది",
    "bg": "мисля че проектът е готов и можем да го представим тази седмица заедно с "
          "бележките от срещата за да знаят всички какво следва и какво се очаква от екипа",
    "ko": "프로젝트가 준비되었다고 생각하며 이번 주에 회의 메모와 함께 발표하면 모두가 다음에 "
          "무엇이 올지 그리고 팀에게 무엇이 기대되는지 알 수 있을 것입니다",
    "pl": "myślę że projekt jest gotowy i możemy go przedstawić w tym tygodniu razem z "
          "notatkami ze spotkania aby wszyscy wiedzieli co będzie dalej i czego oczekuje się "
          "od zespołu",
    "he": "אני חושב שהפרויקט מוכן ושאנחנו יכולים להציג אותו השבוע יחד עם הסיכומים מהפגישה "
          "כדי שכולם ידעו מה הלאה ומה מצופה מהצוות",
    "fa": "فکر می‌کنم پروژه آماده است و می‌توانیم آن را این هفته همراه با یادداشت‌های جلسه "
          "ارائه کنیم تا همه بدانند قدم بعدی چیست و از تیم چه انتظاری می‌رود",
    "vi": "tôi nghĩ dự án đã sẵn sàng và chúng ta có thể trình bày nó trong tuần này cùng "
          "với ghi chú của cuộc họp để mọi người biết điều gì sẽ đến tiếp theo",
    "ne": "मलाई लाग्छ परियोजना तयार छ र हामी यसलाई यो हप्ता बैठकका टिपोटहरूसँगै प्रस्तुत गर्न "
          "सक्छौं ताकि सबैलाई थाहा होस् कि अब के हुन्छ र टोलीबाट के अपेक्षा गरिन्छ",
    "sw": "nadhani mradi uko tayari na tunaweza kuuwasilisha wiki hii pamoja na maelezo ya "
          "mkutano ili kila mtu ajue kinachofuata na kile kinachotarajiwa kutoka kwa timu",
    "kn": "ಯೋಜನೆ ಸಿದ್ಧವಾಗಿದೆ ಎಂದು ನಾನು ಭಾವಿಸುತ್ತೇನೆ ಮತ್ತು ಈ ವಾರ ಸಭೆಯ ಟಿಪ್ಪಣಿಗಳೊಂದಿಗೆ "
          "ಅದನ್ನು ನಾವು ಪ್ರಸ್ತುತಪಡಿಸಬಹುದು ಇದರಿಂದ ಮುಂದೆ ಏನಾಗುತ್ತದೆ ಎಂದು ಎಲ್ಲರಿಗೂ ತಿಳಿಯುತ್ತದೆ",
    "mr": "मला वाटते की प्रकल्प तयार आहे आणि आपण तो या आठवड्यात बैठकीच्या नोंदींसह सादर करू "
          "शकतो जेणेकरून सर्वांना कळेल की पुढे काय होणार आहे आणि संघाकडून काय अपेक्षित आहे",
    "gu": "મને લાગે છે કે પ્રોજેક્ટ તૈયાર છે અને આપણે તેને આ અઠવાડિયે મીટિંગની નોંધો સાથે "
          "રજૂ કરી શકીએ છીએ જેથી બધાને ખબર પડે કે આગળ શું થશે",
    "pa": "ਮੈਨੂੰ ਲੱਗਦਾ ਹੈ ਕਿ ਪ੍ਰੋਜੈਕਟ ਤਿਆਰ ਹੈ ਅਤੇ ਅਸੀਂ ਇਸਨੂੰ ਇਸ ਹਫ਼ਤੇ ਮੀਟਿੰਗ ਦੇ ਨੋਟਸ ਨਾਲ ਪੇਸ਼ "
          "ਕਰ ਸਕਦੇ ਹਾਂ ਤਾਂ ਜੋ ਸਾਰਿਆਂ ਨੂੰ ਪਤਾ ਹੋਵੇ ਕਿ ਅੱਗੇ ਕੀ ਹੋਵੇਗਾ",
    "ml": "പദ്ധതി തയ്യാറാണെന്ന് ഞാൻ കരുതുന്നു ഈ ആഴ്ച യോഗത്തിന്റെ കുറിപ്പുകൾക്കൊപ്പം "
          "നമുക്ക് അത് അവതരിപ്പിക്കാം അങ്ങനെ അടുത്തതായി എന്താണ് സംഭവിക്കുന്നതെന്ന് "
          "എല്ലാവർക്കും അറിയാം",
    "fi": "luulen että projekti on valmis ja voimme esitellä sen tällä viikolla kokouksen "
          "muistiinpanojen kanssa jotta kaikki tietävät mitä seuraavaksi tapahtuu ja mitä "
          "tiimiltä odotetaan",
    "en": "i think the project is ready and we can present it during the week with the notes "
          "of the meeting so that everyone knows what comes next and what the team expects",
}


def filler(rng: random.Random, n_words: int, avoid: str = "") -> str:
    """`n_words` lowercase words (none containing a letter of `avoid`), as sentences."""
    vocab = [w for w in FILLER_VOCAB if not set(avoid) & set(w)]
    out: list[str] = []
    for i in range(n_words):
        word = rng.choice(vocab)
        out.append(word + ("." if i % 7 == 6 or i == n_words - 1 else ""))
    return " ".join(out)


def sentences(rng: random.Random, n: int) -> str:
    return " ".join(filler(rng, 6) for _ in range(n))


def paragraph(rng: random.Random, first: str | None = None) -> str:
    """Two lines, so dropping a response's first or last line leaves the paragraph."""
    head = filler(rng, 6)
    if first is not None:
        head = f"{first} {head}"
    return f"{head}\n{filler(rng, 6)}"


def _relation(p: dict[str, Any], key: str, rel: str, follow: bool) -> int:
    """How many to plant so that "less than"/"at least" `p[key]` holds (or does not)."""
    n = p[key]
    if p[rel] == "less than":
        return n - 1 if follow else n
    return n if follow else n - 1


def _table(rng: random.Random, rows: int) -> str:
    body = "\n".join(f"| {filler(rng, 1).rstrip('.')} | {filler(rng, 1).rstrip('.')} |"
                     for _ in range(rows))
    return f"here is the table.\n| item | state |\n|---|---|\n{body}\nthat is all."


Builder = Callable[[dict[str, Any], random.Random, bool], str]

BUILDERS: dict[str, Builder] = {
    "keywords:existence": lambda p, r, follow: filler(r, 20) + " " + " ".join(
        p["keywords"] if follow else p["keywords"][:-1]) + ".",
    "keywords:forbidden_words": lambda p, r, follow: filler(r, 20) + (
        "" if follow else f" {p['forbidden_words'][-1]}."),
    "keywords:frequency": lambda p, r, follow: filler(r, 15) + " " + " ".join(
        [p["keyword"]] * _relation(p, "frequency", "relation", follow)) + ".",
    "keywords:letter_frequency": lambda p, r, follow: filler(r, 20, avoid=p["letter"]) + " " +
        " ".join([p["letter"]] * _relation(p, "let_frequency", "let_relation", follow)) + ".",
    "language:response_language": lambda p, r, follow:
        FOREIGN[p["language"]] if follow else filler(r, 30),
    "length_constraints:number_words": lambda p, r, follow:
        filler(r, _relation(p, "num_words", "relation", follow)),
    "length_constraints:number_sentences": lambda p, r, follow:
        sentences(r, _relation(p, "num_sentences", "relation", follow)),
    "length_constraints:number_paragraphs": lambda p, r, follow: "\n***\n".join(
        paragraph(r) for _ in range(p["num_paragraphs"] + (0 if follow else 1))),
    "length_constraints:nth_paragraph_first_word": lambda p, r, follow: "\n\n".join(
        paragraph(r, (p["first_word"] if follow else "meanwhile")
                  if i == p["nth_paragraph"] - 1 else None)
        for i in range(p["num_paragraphs"])),
    "detectable_content:number_placeholders": lambda p, r, follow: filler(r, 10) + " " + " ".join(
        f"[field {chr(97 + i)}]" for i in range(p["num_placeholders"] - (0 if follow else 1))),
    "detectable_content:postscript": lambda p, r, follow: filler(r, 15) + (
        f"\n{p['postscript_marker']} {filler(r, 5)}" if follow else ""),
    "detectable_format:number_bullet_lists": lambda p, r, follow: "the points are below.\n" +
        "\n".join(f"* {filler(r, 4)}" for _ in range(p["num_bullets"] + (0 if follow else 1)))
        + "\nthat is the list.",
    "detectable_format:title": lambda p, r, follow:
        ("<<a plan for the week>>\n" if follow else "a plan for the week\n") + filler(r, 15),
    "detectable_format:multiple_sections": lambda p, r, follow: "\n".join(
        f"{p['section_spliter']} {i + 1}\n{filler(r, 8)}"
        for i in range(p["num_sections"] - (0 if follow else 1))) or filler(r, 8),
    "detectable_format:json_format": lambda p, r, follow: (
        "```json\n" + json.dumps({"summary": filler(r, 6), "steps": [filler(r, 3)]}) + "\n```"
        if follow else filler(r, 12) + " {summary: unfinished"),
    "detectable_format:number_highlighted_sections": lambda p, r, follow: filler(r, 6) + " " +
        " ".join(f"*{filler(r, 2).rstrip('.')}*"
                 for _ in range(p["num_highlights"] - (0 if follow else 1))) + " done.",
    "detectable_format:constrained_response": lambda p, r, follow:
        "My answer is yes." if follow else "i would say it depends on the week.",
    "combination:repeat_prompt": lambda p, r, follow:
        (p["prompt_to_repeat"] + "\n" if follow else "") + filler(r, 15),
    "combination:two_responses": lambda p, r, follow: (
        f"{filler(r, 8)}\n******\n{filler(r, 9)}" if follow else
        (lambda one: f"{one}\n******\n{one}")(filler(r, 8))),
    "startend:quotation": lambda p, r, follow:
        f'"{filler(r, 12)}"' if follow else filler(r, 12),
    "startend:end_checker": lambda p, r, follow:
        filler(r, 12) + (f" {p['end_phrase']}" if follow else ""),
    "change_case:english_lowercase": lambda p, r, follow:
        filler(r, 25) if follow else filler(r, 25).replace("the ", "The ", 1) + " The end.",
    "change_case:english_capital": lambda p, r, follow:
        filler(r, 25).upper() if follow else filler(r, 25).upper() + " and more.",
    "change_case:capital_word_frequency": lambda p, r, follow: filler(r, 15) + " " + " ".join(
        ["NOTE"] * _relation(p, "capital_frequency", "capital_relation", follow)) + ".",
    "punctuation:no_comma": lambda p, r, follow:
        filler(r, 15) if follow else filler(r, 7) + ", " + filler(r, 7),
    "longweave:choose_from": lambda p, r, follow: (
        p["options"][r.randrange(len(p["options"]))] if follow else
        f"i would pick {p['options'][0]} because {filler(r, 5)}"),
    "longweave:cite_section": lambda p, r, follow: filler(r, 12) + (
        f" as {p['section']} shows." if follow else " as the book shows."),
    "longweave:table_rows": lambda p, r, follow:
        _table(r, p["num_rows"] + (0 if follow else 1)),
    "longweave:persona": lambda p, r, follow: _persona(p, r, follow),
    "longweave:token_budget": lambda p, r, follow:
        filler(r, max(1, p["max_tokens"] // 3)) if follow
        else filler(r, p["max_tokens"] * 2),
}


def _persona(p: dict[str, Any], r: random.Random, follow: bool) -> str:
    """Addressed and signed off; broken: the address, the sign-off or the name missing."""
    address, name = p["address"], p["persona"]
    dash = r.choice(("—", "-", "–", "--"))
    if follow:
        return f"{address} {filler(r, 14)}\n{dash} {name}"
    broken = r.randrange(3)
    if broken == 0:
        return f"{filler(r, 14)}\n{dash} {name}"
    if broken == 1:
        return f"{address} {filler(r, 14)}"
    return f"{address} {filler(r, 14)}\n{dash} the team"


def planted(name: str, params: dict[str, Any], seed: int, follow: bool) -> str:
    return BUILDERS[name](params, random.Random(f"{name}:{seed}:{follow}"), follow)
