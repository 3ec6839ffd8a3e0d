#!/usr/bin/env python3
"""Renders every (chat template, conversation) pair with Python's jinja2 configured the way
Hugging Face's apply_chat_template configures it, writing the expected outputs the Java chat
template tests compare against.

  render_expected.py --templates DIR [--conversations DIR] [--settings FILE] [--snippets FILE]
                     [--out DIR]

For template T.jinja and conversation C.json it writes OUT/T/C.txt with the rendered text, or
OUT/T/C.error when rendering fails: first line the error kind ("raise_exception" when the
template called raise_exception, else the Python exception class), second line the message.

The environment: sandboxed and immutable, trim_blocks and lstrip_blocks on, the loopcontrols
extension and a pass-through {% generation %} block, a tojson filter that calls json.dumps with ensure_ascii=False (indent, separators and
sort_keys passed through), raise_exception and a strftime_now pinned to the settings' "now" so
outputs are deterministic. Render arguments: messages, tools (None when the conversation has
none), documents=None, add_generation_prompt, bos_token, eos_token and the conversation's kwargs.

It also renders each case of the snippets file (small templates exercising single jinja2
features) with the same environment and the file's bindings as extra arguments, writing
OUT/snippets.json: a list of {"template", "output"} or {"template", "error"}.
"""
import argparse
import datetime
import json
import pathlib
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = pathlib.Path(__file__).resolve().parent


class TemplateRaised(Exception):
    pass


class GenerationBlock(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %} marks assistant text for Hugging Face's assistant
    masks; it renders its body unchanged, which is all a prompt needs."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.Scope(body, lineno=lineno)


def make_environment(now):
    def raise_exception(message):
        raise TemplateRaised(message)

    def strftime_now(fmt):
        return now.strftime(fmt)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols", GenerationBlock])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(template, conversation, settings):
    kwargs = dict(conversation.get("kwargs", {}))
    return template.render(
        messages=conversation["messages"],
        tools=conversation.get("tools"),
        documents=None,
        add_generation_prompt=conversation.get("add_generation_prompt", False),
        bos_token=settings["bos_token"],
        eos_token=settings["eos_token"],
        **kwargs,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", required=True, type=pathlib.Path)
    parser.add_argument("--conversations", type=pathlib.Path, default=HERE / "conversations")
    parser.add_argument("--settings", type=pathlib.Path, default=HERE / "render-settings.json")
    parser.add_argument("--snippets", type=pathlib.Path, default=HERE / "snippets.json")
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "expected")
    args = parser.parse_args()

    settings = json.loads(args.settings.read_text(encoding="utf-8"))
    env = make_environment(datetime.datetime.fromisoformat(settings["now"]))
    conversations = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                     for p in sorted(args.conversations.glob("*.json"))}
    count = 0
    for template_path in sorted(args.templates.glob("*.jinja")):
        template_text = template_path.read_text(encoding="utf-8")
        out_dir = args.out / template_path.stem
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            template = env.from_string(template_text)
        except Exception as e:  # a template jinja2 cannot parse fails every conversation alike
            template = e
        for name, conversation in conversations.items():
            try:
                if isinstance(template, Exception):
                    raise template
                text = render(template, conversation, settings)
                (out_dir / (name + ".txt")).write_text(text, encoding="utf-8", newline="")
            except TemplateRaised as e:
                (out_dir / (name + ".error")).write_text(
                    "raise_exception\n" + str(e) + "\n", encoding="utf-8", newline="")
            except Exception as e:  # any other render failure is an expected error too
                (out_dir / (name + ".error")).write_text(
                    type(e).__name__ + "\n" + str(e).replace("\n", " ") + "\n",
                    encoding="utf-8", newline="")
            count += 1
    snippets = json.loads(args.snippets.read_text(encoding="utf-8"))
    results = []
    for case in snippets["cases"]:
        conversation = {"messages": [], "kwargs": snippets["bindings"]}
        try:
            results.append({"template": case,
                            "output": render(env.from_string(case), conversation, settings)})
        except Exception as e:
            results.append({"template": case, "error": type(e).__name__ + ": " + str(e)})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "snippets.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8", newline="")
    print(f"rendered {count} pairs with jinja2 {jinja2.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
