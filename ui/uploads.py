"""PDFs uploaded in the review screen: checked, saved under the upload folder, extracted and
stored like a batch run. No Streamlit here.

An empty file or one that is not a PDF is refused before anything is written; a file that
fails to extract gets a stored ``failed`` result and its upload is deleted; a long name is
cut to ``NAME_MAX_BYTES`` bytes; messages name the upload, never a server path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jixiao.settings import Settings
from jixiao.store import Store, count_records, find_document, save_result
from jixiao.store import review as rv
from jixiao.taught import TaughtFileError, taught_labels

Progress = Callable[[float, str], None]


_SAFE = re.compile(r"[^\w.\-]+")
NAME_MAX_BYTES = 120  # of the file name part; file systems allow 255 bytes in all
_ABS_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s'\"():;,，。]+)+[\\/]?")


def safe_name(name: str) -> str:
    """A file name safe to write: no folders, no odd characters, at most ``NAME_MAX_BYTES``
    bytes of UTF-8 (a long Chinese name is cut, not refused), ends in .pdf."""
    base = _SAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._") or "upload"
    if base.lower().endswith(".pdf"):
        base = base[:-4]
    cut = base.encode("utf-8")[:NAME_MAX_BYTES].decode("utf-8", errors="ignore")
    return (cut.strip("._") or "upload") + ".pdf"


def without_paths(message: str, name: str) -> str:
    """A message with every file-system path replaced by the uploaded file's name."""
    return _ABS_PATH.sub(lambda m: name if "/" in m.group(0)[1:] else m.group(0), message)


def save_upload(name: str, data: bytes, upload_dir: Path) -> tuple[Path, str]:
    """Write an uploaded file under ``upload_dir`` as ``<sha256[:12]>-<name>``; (path, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    upload_dir.mkdir(parents=True, exist_ok=True)
    path = upload_dir / f"{digest[:12]}-{safe_name(name)}"
    if not path.exists():
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path, digest


@dataclass
class UploadOutcome:
    name: str
    path: Path | None
    status: str
    document_id: int | None
    n_records: int
    errors: list[str]
    seconds: float


def _refused(name: str, why: str) -> UploadOutcome:
    return UploadOutcome(name, None, "failed", None, 0, [why], 0.0)


def check_upload(name: str, data: bytes) -> str | None:
    """Why an upload is refused before it is written (None: accepted)."""
    if not data:
        return "文件为空（0 字节）"
    if b"%PDF-" not in data[:1024]:
        return "不是 PDF 文件"
    return None


def extract_upload(
    store: Store,
    name: str,
    data: bytes,
    settings: Settings,
    progress: Progress | None = None,
) -> UploadOutcome:
    """Save an uploaded PDF, extract and check it, store the result.

    ``progress(fraction, step)`` is called as it goes. An empty file or one that is not a
    PDF is refused and not written. A file that fails to extract gets a stored ``failed``
    result and its upload is deleted. Messages name the upload, never a server path. A PDF
    whose content is already stored with corrections or decisions is not re-extracted
    (status ``duplicate``): the same extraction again would change nothing.
    """
    say = progress or (lambda _f, _s: None)
    why = check_upload(name, data)
    if why is not None:
        say(1.0, f"{name}：{why}")
        return _refused(name, why)
    try:
        return _extract_saved(store, name, data, settings, say)
    except OSError as e:
        return _refused(name, without_paths(f"无法保存或读取：{e.strerror or e}", name))
    except TaughtFileError:
        return _refused(name, "标签目录文件（JIXIAO_CATALOGUE_FILE）损坏：请管理员修复后再上传")


def _extract_saved(
    store: Store, name: str, data: bytes, settings: Settings, say: Progress
) -> UploadOutcome:
    from extractor.pipeline import extract_document

    taught = taught_labels(settings)  # a broken catalogue file: refused before it is saved
    say(0.05, f"保存 {name}")
    path, digest = save_upload(name, data, settings.upload_dir)
    with store.session() as s:
        doc = find_document(s, digest)
        if doc is not None and rv.has_reviews(s, doc.id):
            say(1.0, f"{name}：已审核过")
            return UploadOutcome(
                name=name,
                path=path,
                status="duplicate",
                document_id=doc.id,
                n_records=count_records(s, document_id=doc.id),
                errors=[
                    f"与已审核的文档 {doc.id}（{Path(doc.path).name}）内容相同：不重新提取，"
                    "已有的更正不会丢失"
                ],
                seconds=0.0,
            )
    say(0.15, f"提取 {name}")
    result = extract_document(path, settings.extract_options(), taught=taught)
    say(0.85, f"保存 {len(result.records)} 条记录")
    errors = [without_paths(str(e), name) for e in result.errors]
    with store.session() as s:
        doc_id = save_result(s, result, sha256=result.sha256 or digest, path=str(path))
    if result.status.value == "failed":
        path.unlink(missing_ok=True)  # a failed upload is not kept
    say(1.0, f"{name}：{result.status.value}")
    return UploadOutcome(
        name=name,
        path=path if path.exists() else None,
        status=result.status.value,
        document_id=doc_id,
        n_records=len(result.records),
        errors=errors,
        seconds=result.seconds,
    )
