"""Two kinds of failure: the caller's input is wrong, or the engine itself broke."""


class AudioInputError(ValueError):
    """The audio the caller gave cannot be used; the message is one sentence a user can act on."""


class EngineError(RuntimeError):
    """The engine could not run (missing weights, failed load, unreachable server)."""
