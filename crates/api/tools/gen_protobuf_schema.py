#!/usr/bin/env python3
"""Generates crates/api/src/protobuf/schema.rs, the static protobuf schema of
the built-in kinds rkube serves, for the request-body decoder in
crates/api/src/protobuf/decode.rs.

How to run (from the repository root):

    git clone --bare https://github.com/kubernetes/api /tmp/k8s-api.git
    git clone --bare https://github.com/kubernetes/apimachinery /tmp/k8s-apimachinery.git
    cargo fetch   # puts k8s-pb 0.9.0 and k8s-openapi 0.29.0 in ~/.cargo/registry/src
    python3 crates/api/tools/gen_protobuf_schema.py \\
        --k8s-api /tmp/k8s-api.git --k8s-apimachinery /tmp/k8s-apimachinery.git \\
        > crates/api/src/protobuf/schema.rs

Optional flags: --go-ref (the tag of kubernetes/api and kubernetes/apimachinery
to read, default v0.35.0, the release k8s-pb 0.9 was generated from),
--k8s-pb and --k8s-openapi (source directories; found in the cargo registry by
default). Nothing here is copied into the output but facts: field numbers and
wire types, JSON names and whether a field is a pointer or omitempty.

The facts come from three places:
- k8s-pb (prost code generated from upstream's generated.proto files): the
  messages, their field numbers, wire types, and nested message types;
- k8s-openapi (v1_33, the API version rkube serves): the JSON name of each
  field (from its Deserialize impl: `"clusterIP" => Field::Key_cluster_ip`),
  matched to the k8s-pb field by comparing names lower-cased without
  underscores, and whether the field is required (not an `Option`);
- the upstream Go types, matched by message name and field number: whether a
  field is a pointer (gogo writes pointer fields only when set, so a zero value
  sent is meaningful), whether its JSON tag has `omitempty` (without it Go's
  JSON writes zero values: this decides "required" when the Go field is known),
  and embedded structs whose JSON is inlined into the parent
  (`VolumeSource json:",inline"` is a nested message on the wire). The Go JSON
  name is the fallback (and a cross-check) for fields k8s-openapi v1_33 does not
  know.

A zero scalar on the wire is kept in the JSON when the field is a pointer or
required, and dropped otherwise, as Go's encoding/json does.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

# The packages of the kinds rkube serves (crates/api/src/resource/table.rs),
# as k8s-pb module paths; everything they reference is included too.
SERVED = [
    "api/core/v1",
    "api/apps/v1",
    "api/events/v1",
    "api/autoscaling/v1",
    "api/autoscaling/v2",
    "api/batch/v1",
    "api/networking/v1",
    "api/policy/v1",
    "api/rbac/v1",
    "api/storage/v1",
    "api/scheduling/v1",
    "api/coordination/v1",
    "api/discovery/v1",
    "apimachinery/pkg/apis/meta/v1",
]

META = "k8s.io.apimachinery.pkg.apis.meta.v1"

# Kinds accepted under any apiVersion: upstream registers the option kinds in
# every group version (metav1.AddToGroupVersion), and Status is unversioned.
ANY_VERSION_KINDS = ["DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "Status"]

# Messages whose JSON is not their fields (a custom MarshalJSON upstream).
SPECIAL = {
    META + ".Time": "Time",
    META + ".MicroTime": "MicroTime",
    META + ".Duration": "Duration",
    META + ".FieldsV1": "RawJson",
    META + ".GroupVersion": "GroupVersion",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "RawJson",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "Quantity",
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": "Quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON": "RawJson",
}

SCALARS = {
    "string": "Str",
    "bytes": "Bytes",
    "bool": "Bool",
    "int32": "Int32",
    "int64": "Int64",
    "double": "Double",
}

FLAG_POINTER = 1
FLAG_REQUIRED = 2
FLAG_INLINE = 4


def warn(message):
    print(f"gen_protobuf_schema: {message}", file=sys.stderr)


def registry_dir(name):
    found = sorted(glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/{name}")))
    if not found:
        sys.exit(f"gen_protobuf_schema: {name} is not in the cargo registry; run cargo fetch")
    return found[-1]


# ---------------------------------------------------------------- k8s-pb


def proto_package(module):
    return "k8s.io." + ".".join(module)


def split_type_args(text):
    """The top-level comma-separated arguments of a generic type's <...>."""
    start = text.index("<")
    depth, args, current = 0, [], ""
    for ch in text[start + 1 : text.rindex(">")]:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    args.append(current.strip())
    return args


def resolve_rust_type(module, text):
    """The proto full name of the message a prost field type names."""
    text = re.sub(r"\s+", "", text)
    for wrapper in ("::core::option::Option<", "::prost::alloc::vec::Vec<", "::prost::alloc::boxed::Box<"):
        while text.startswith(wrapper):
            text = text[len(wrapper) : -1]
    if "BTreeMap<" in text:
        text = split_type_args(text)[1]
        return resolve_rust_type(module, text)
    parts = text.split("::")
    if parts[0] == "crate":
        base, parts = [], parts[1:]
    else:
        base = list(module)
        while parts[0] == "super":
            base.pop()
            parts = parts[1:]
    return proto_package(base + parts[:-1]) + "." + parts[-1]


def parse_k8s_pb(root):
    """{full name: message}, {full name: (apiVersion, kind)} from k8s-pb."""
    messages, resources = {}, {}
    for path in sorted(glob.glob(os.path.join(root, "**", "mod.rs"), recursive=True)):
        module = os.path.relpath(os.path.dirname(path), root).split(os.sep)
        if module == ["."]:
            continue
        package = proto_package(module)
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        for struct in re.finditer(r"((?:^///[^\n]*\n)*)#\[derive\([^)]*::prost::Message\)\]\npub struct (\w+) \{\n(.*?)^\}", source, re.M | re.S):
            docs, name, body = struct.group(1), struct.group(2), struct.group(3)
            fields = []
            for field in re.finditer(r"#\[prost\((.*?)\)\]\s*pub (?:r#)?(\w+):\s*", body, re.S):
                attrs, rust_name = field.group(1), field.group(2)
                rest = body[field.end() :]
                depth, end = 0, 0
                for end, ch in enumerate(rest):
                    if ch == "<":
                        depth += 1
                    elif ch == ">":
                        depth -= 1
                    elif ch == "," and depth == 0:
                        break
                rust_type = rest[:end]
                tag = int(re.search(r'tag = "(\d+)"', attrs).group(1))
                map_match = re.search(r'btree_map = "string, (\w+)"', attrs)
                if "map" in attrs and not map_match:
                    sys.exit(f"gen_protobuf_schema: {package}.{name}.{rust_name}: map with a non-string key")
                if map_match:
                    label, kind = "Map", map_match.group(1)
                else:
                    kind = attrs.split(",")[0].split("=")[0].strip()
                    label = "Repeated" if "repeated" in attrs else "Single"
                message = resolve_rust_type(module, rust_type) if kind == "message" else None
                if kind != "message" and kind not in SCALARS:
                    sys.exit(f"gen_protobuf_schema: {package}.{name}.{rust_name}: unknown kind {kind}")
                fields.append(
                    {"tag": tag, "rust": rust_name, "kind": kind, "label": label, "message": message}
                )
            messages[package + "." + name] = {
                "package": package,
                "name": name,
                "fields": sorted(fields, key=lambda f: f["tag"]),
                "nullable": "+protobuf.nullable=true" in docs,
            }
        for impl in re.finditer(
            r'impl crate::Resource for (\w+) \{\s*const API_VERSION: &\'static str = "([^"]*)";.*?const KIND: &\'static str = "([^"]*)";',
            source,
            re.S,
        ):
            resources[package + "." + impl.group(1)] = (impl.group(2), impl.group(3))
    return messages, resources


# ---------------------------------------------------------------- k8s-openapi


def parse_k8s_openapi(root):
    """{full proto name: {normalised rust name: (json name, required)}}."""
    structs = {}
    for path in sorted(glob.glob(os.path.join(root, "**", "*.rs"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        head = re.match(r"// Generated from definition io\.k8s\.([\w.]+)\n", source)
        if not head:
            continue
        name = "k8s.io." + head.group(1)
        struct = re.search(r"^pub struct \w+ \{\n(.*?)^\}", source, re.M | re.S)
        if not struct:
            continue
        required = {}
        for field in re.finditer(r"^    pub (?:r#)?(\w+): (.*),$", struct.group(1), re.M):
            required[field.group(1)] = not field.group(2).startswith("Option<")
        fields = {}
        for key in re.finditer(r'^\s*"([^"]+)" => Field::Key_(\w+),$', source, re.M):
            json_name, rust_name = key.group(1), key.group(2)
            if rust_name in required:
                fields[normalise(rust_name)] = (json_name, required[rust_name])
        structs[name.lower()] = fields
    return structs


def normalise(rust_name):
    return rust_name.lower().replace("_", "")


# ---------------------------------------------------------------- Go types


# The Go structs (lower-cased full names) that embed TypeMeta.
TOP_LEVEL = set()

GO_FIELD = re.compile(r"^\s*(?:(\w+)\s+)?(\S+)\s+`([^`]*)`")


def go_files(git_dir, ref, directory):
    listing = subprocess.run(
        ["git", "--git-dir", git_dir, "ls-tree", "--name-only", f"{ref}:{directory}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in listing:
        if not name.endswith(".go") or name.endswith("_test.go") or "generated" in name:
            continue
        yield subprocess.run(
            ["git", "--git-dir", git_dir, "show", f"{ref}:{directory}/{name}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def parse_go(git_dir, ref, directory, package):
    """{full proto name: {field number: facts}} for one Go package."""
    structs = {}
    for source in go_files(git_dir, ref, directory):
        for struct in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", source, re.M | re.S):
            fields = {}
            for line in struct.group(2).split("\n"):
                match = GO_FIELD.match(line)
                if not match:
                    continue
                go_type, tags = match.group(2), match.group(3)
                if match.group(1) is None and go_type.split(".")[-1] == "TypeMeta":
                    # An object with a kind of its own (not a list).
                    if not struct.group(1).endswith("List"):
                        TOP_LEVEL.add((package + "." + struct.group(1)).lower())
                    continue
                proto = re.search(r'protobuf:"(\w+),(\d+),', tags)
                json_tag = re.search(r'json:"([^"]*)"', tags)
                if not proto or not json_tag:
                    continue
                json_parts = json_tag.group(1).split(",")
                fields[int(proto.group(2))] = {
                    "json": json_parts[0],
                    "omitempty": "omitempty" in json_parts[1:],
                    "inline": "inline" in json_parts[1:],
                    "pointer": go_type.startswith("*"),
                }
            structs[(package + "." + struct.group(1)).lower()] = fields
    return structs


def go_packages(api_git, machinery_git, ref, modules):
    facts = {}
    for module in modules:
        if module[0] == "api":
            git_dir, directory = api_git, "/".join(module[1:])
        elif module[0] == "apimachinery":
            git_dir, directory = machinery_git, "/".join(module[1:])
        else:
            continue
        try:
            facts.update(parse_go(git_dir, ref, directory, proto_package(module)))
        except subprocess.CalledProcessError:
            warn(f"no Go package {directory} at {ref}")
    return facts


# ---------------------------------------------------------------- schema


def closure(messages, known):
    """The messages of the served packages that upstream still has as Go types
    (k8s-pb keeps a few the Go packages dropped, like core/v1 List), and every
    message they reference."""
    served = {proto_package(s.split("/")) for s in SERVED}
    wanted = []
    for name, message in messages.items():
        if message["package"] not in served:
            continue
        if name.lower() in known or special_of(name, message) != "None":
            wanted.append(name)
        else:
            warn(f"{name}: no upstream Go type, left out")
    seen, order = set(), []
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        if name not in messages:
            sys.exit(f"gen_protobuf_schema: unknown message {name}")
        seen.add(name)
        order.append(name)
        wanted.extend(f["message"] for f in messages[name]["fields"] if f["message"])
    return sorted(order)


def field_facts(full_name, field, openapi, go):
    """(json name, flags) of one field."""
    # k8s-pb changes the case of some names (HPAScalingPolicy is HpaScalingPolicy).
    go_field = go.get(full_name.lower(), {}).get(field["tag"])
    openapi_field = openapi.get(full_name.lower(), {}).get(normalise(field["rust"]))
    flags = 0
    if go_field and go_field["inline"]:
        if field["kind"] != "message" or field["label"] != "Single":
            sys.exit(f"gen_protobuf_schema: {full_name}.{field['rust']}: inline field is not a message")
        return "", FLAG_INLINE
    if openapi_field:
        json_name, required = openapi_field
        if go_field and go_field["json"] != json_name:
            warn(f"{full_name}.{field['rust']}: k8s-openapi says {json_name}, Go says {go_field['json']}")
    elif go_field:
        json_name, required = go_field["json"], False
        if full_name.lower() in openapi:
            warn(f"{full_name}.{json_name}: not in k8s-openapi v1_33 (newer than 1.33?)")
    else:
        sys.exit(f"gen_protobuf_schema: {full_name}.{field['rust']}: no JSON name")
    if go_field:
        # What Go's encoding/json writes is the truth where the two disagree
        # (LocalObjectReference.name is required in the OpenAPI of 1.33 but
        # omitempty in Go; StatefulSetSpec.serviceName the other way round).
        if go_field["pointer"]:
            flags |= FLAG_POINTER
        required = not go_field["omitempty"]
    elif full_name not in SPECIAL:
        warn(f"{full_name}.{json_name}: no Go field; zero values are dropped unless k8s-openapi requires it")
    if required:
        flags |= FLAG_REQUIRED
    return json_name, flags


def special_of(full_name, message):
    if full_name in SPECIAL:
        return SPECIAL[full_name]
    fields = message["fields"]
    if message["nullable"] and len(fields) == 1 and fields[0]["label"] == "Repeated" and fields[0]["kind"] == "string":
        return "StringList"
    return "None"


def render(messages, resources, openapi, go, sources):
    names = closure(messages, go)
    index = {name: i for i, name in enumerate(names)}
    out = []
    out.append("//! The protobuf schema of the built-in kinds: generated, do not edit.")
    out.append("//!")
    out.append("//! Made by `crates/api/tools/gen_protobuf_schema.py` (see its header for how to")
    out.append(f"//! run it) from {sources}.")
    out.append("")
    out.append("use super::{Field, Kind::*, Label::*, Message, Special};")
    out.append("")
    out.append("const P: u8 = super::POINTER;")
    out.append("const R: u8 = super::REQUIRED;")
    out.append("const I: u8 = super::INLINE;")
    out.append("")
    out.append("const fn f(tag: u32, json: &'static str, kind: super::Kind, label: super::Label, flags: u8) -> Field {")
    out.append("    Field { tag, json, kind, label, flags }")
    out.append("}")
    out.append("")
    out.append("/// Every message, sorted by full name; `Kind::Message` holds an index in here.")
    out.append("pub(super) static MESSAGES: &[Message] = &[")
    for i, name in enumerate(names):
        message = messages[name]
        special = special_of(name, message)
        out.append(f"    // {i}")
        out.append(f'    Message {{ name: "{name}", special: Special::{special}, fields: &[')
        for field in message["fields"]:
            if special != "None":
                json_name, flags = field["rust"], 0
            else:
                json_name, flags = field_facts(name, field, openapi, go)
            if field["kind"] == "message":
                kind = f"Message({index[field['message']]})"
            else:
                kind = SCALARS[field["kind"]]
            flag_text = "|".join(
                letter for bit, letter in ((FLAG_POINTER, "P"), (FLAG_REQUIRED, "R"), (FLAG_INLINE, "I")) if flags & bit
            ) or "0"
            out.append(f'        f({field["tag"]}, "{json_name}", {kind}, {field["label"]}, {flag_text}),')
        out.append("    ] },")
    out.append("];")
    out.append("")
    kinds = []
    served = {proto_package(s.split("/")) for s in SERVED}
    versions = {}
    for name, (api_version, _kind) in resources.items():
        versions[messages[name]["package"]] = api_version
    for name in names:
        message = messages[name]
        if message["package"] not in served or message["package"] == META:
            continue
        if name in resources or name.lower() in TOP_LEVEL:
            api_version = versions.get(message["package"])
            if api_version is None:
                sys.exit(f"gen_protobuf_schema: no apiVersion known for {message['package']}")
            kinds.append((api_version, message["name"], index[name]))
    for kind in ANY_VERSION_KINDS:
        kinds.append(("*", kind, index[META + "." + kind]))
    out.append("/// apiVersion, kind and message of every object a request body may hold;")
    out.append('/// apiVersion `*` matches any.')
    out.append("pub(super) static KINDS: &[(&str, &str, u16)] = &[")
    for api_version, kind, i in sorted(kinds):
        out.append(f'    ("{api_version}", "{kind}", {i}),')
    out.append("];")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k8s-api", required=True, help="git dir of github.com/kubernetes/api")
    parser.add_argument("--k8s-apimachinery", required=True, help="git dir of github.com/kubernetes/apimachinery")
    parser.add_argument("--go-ref", default="v0.35.0")
    parser.add_argument("--k8s-pb", default=None)
    parser.add_argument("--k8s-openapi", default=None)
    args = parser.parse_args()
    pb_root = args.k8s_pb or os.path.join(registry_dir("k8s-pb-0.9.0"), "src")
    openapi_root = args.k8s_openapi or os.path.join(registry_dir("k8s-openapi-0.29.0"), "src", "v1_33")
    messages, resources = parse_k8s_pb(pb_root)
    openapi = parse_k8s_openapi(openapi_root)
    served = {proto_package(s.split("/")) for s in SERVED}
    modules = sorted({tuple(m["package"].split(".")[2:]) for m in messages.values() if m["package"] in served})
    modules += [("apimachinery", "pkg", "runtime"), ("apimachinery", "pkg", "api", "resource"), ("apimachinery", "pkg", "util", "intstr")]
    go = go_packages(args.k8s_api, args.k8s_apimachinery, args.go_ref, modules)
    sources = f"k8s-pb 0.9.0, k8s-openapi 0.29.0 (v1_33) and the Go types of kubernetes/api and\n//! kubernetes/apimachinery {args.go_ref}"
    sys.stdout.write(render(messages, resources, openapi, go, sources))


if __name__ == "__main__":
    main()
