"""A codebook: the compiled questionnaire in words, for people who do not read YAML.

`codebook_markdown(q)` and `codebook_html(q)` describe every question (id, label in every
language, type in plain words, options, hint, whether it may be left blank, when it is asked),
the derived values, the checks and the routing rules, in Chinese first and then English.
`expression_in_words(node, q, lang)` turns an expression tree into a sentence
("H5 (Type of premises) is 1 (Dwelling)"); what it cannot phrase it shows as source in backticks.

Both formats are rendered from one small document model (headings, paragraphs, tables), so
they always say the same. In that model a text is plain text in which `backticks` mark code and
a newline breaks the line; every text from the spec passes through `clean` so that a label can
never open a code span, and the renderers escape everything else (`html.escape`, `|` in cells).

The modules, in the order a codebook is made:

- `text`: the text conventions of the document model and the small helpers that build texts;
- `source`: an expression written back as source (the fallback, and shown next to the words);
- `names`, `words`: what the names and values in an expression are called, and whole conditions
  and formulas in words;
- `types_in_words`: what kind of answer a question takes, in words;
- `document`: the document model (headings, paragraphs, tables, contents, groups);
- `builder`: the questionnaire as a document: what the codebook says, and in what order;
  `routing`: its part on routing reasons and rules;
- `markdown`, `html`: the two renderers of that document.
"""

from __future__ import annotations

from engine.spec.codebook.builder import LANGUAGE_NAMES as LANGUAGE_NAMES
from engine.spec.codebook.builder import LONG_LIST as LONG_LIST
from engine.spec.codebook.builder import MONTHS as MONTHS
from engine.spec.codebook.builder import PROSE_LANGUAGES as PROSE_LANGUAGES
from engine.spec.codebook.builder import SHARED_LIST_MIN_USES as SHARED_LIST_MIN_USES
from engine.spec.codebook.html import codebook_html
from engine.spec.codebook.markdown import codebook_markdown
from engine.spec.codebook.names import BUILT_IN as BUILT_IN
from engine.spec.codebook.names import ID_SEX as ID_SEX
from engine.spec.codebook.routing import KINDS as KINDS
from engine.spec.codebook.source import expression_source
from engine.spec.codebook.text import LABEL_LIMIT as LABEL_LIMIT
from engine.spec.codebook.types_in_words import PLACE_LEVELS as PLACE_LEVELS
from engine.spec.codebook.words import CASE_FACTS as CASE_FACTS
from engine.spec.codebook.words import expression_in_words

# The tuning constants and word tables above (imported `as` themselves) stay importable from
# here, as they were before the codebook became a package; the API proper is:
__all__ = ["codebook_html", "codebook_markdown", "expression_in_words", "expression_source"]
