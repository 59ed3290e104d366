"""``tf.contrib.training.HParams``: a typed bag of hyperparameters, parsed from ``"a=1,b=[2,3]"`` or JSON.

Each hyperparameter keeps the type of the value it was added with (for a list, the type of its
first element); ``set_hparam`` / ``parse`` / ``override_from_dict`` / ``parse_json`` cast new values
to it and raise ValueError where TF 1.x did (a float for an int, a number for a string, a list for
a single value and the reverse, an unknown name). Not provided: building from an ``HParamDef``
protocol buffer (``hparam_def``), ``to_proto``, the indexed ``name[i]=value`` syntax of ``parse``,
and the rest of ``tf.contrib.training`` (queues, ``bucket_by_sequence_length`` is in ``contrib.data``).
"""
import json
import numbers


def _cast(name, param_type, value):
    """``value`` as ``param_type``, or a ValueError naming the hyperparameter."""
    if param_type is type(None):
        return value
    fail = ValueError("Could not cast hparam '%s' of type '%s' from value %r" % (name, param_type.__name__, value))
    if issubclass(param_type, (str, bytes)):
        if not isinstance(value, (str, bytes)):
            raise fail
        return param_type(value)
    if issubclass(param_type, bool) != isinstance(value, bool):
        raise fail
    if issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
        raise fail
    if issubclass(param_type, numbers.Number) and not isinstance(value, numbers.Number):
        raise fail
    return param_type(value)


def _split_top_level(text):
    """``"a=1,b=[2,3]"`` -> ``["a=1", "b=[2,3]"]``: commas outside brackets separate."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _parse_scalar(name, param_type, text):
    text = text.strip()
    if param_type is bool:
        lowered = text.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValueError("Could not parse hparam '%s' of type 'bool' from %r" % (name, text))
    if param_type in (str, bytes):
        return param_type(text.strip("'\"")) if param_type is str else text.strip("'\"").encode()
    try:
        number = float(text) if param_type is float else int(text)
    except ValueError:
        raise ValueError("Could not parse hparam '%s' of type '%s' from %r"
                         % (name, param_type.__name__, text)) from None
    return number


class HParams(object):
    """Hyperparameters as attributes: ``HParams(learning_rate=0.1, layers=[64, 32]).learning_rate``."""

    def __init__(self, hparam_def=None, model_structure=None, **kwargs):
        self._hparam_types = {}
        self._model_structure = model_structure
        if hparam_def is not None:
            raise ValueError("HParams: building from an HParamDef protocol buffer is not provided by "
                             "tf1_recsys.compat; pass the hyperparameters as keyword arguments.")
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name, value):
        """Adds hyperparameter ``name``; its type is ``value``'s (a list's: its first element's)."""
        if getattr(self, name, None) is not None:
            raise ValueError("Hyperparameter name is reserved: %s" % name)
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError("Multi-valued hyperparameters cannot be empty: %s" % name)
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name, value):
        """Sets an existing hyperparameter, cast to its type."""
        if name not in self._hparam_types:
            raise ValueError("Unknown hyperparameter: %s" % name)
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise ValueError("Must not pass a list for single-valued parameter: %s" % name)
            setattr(self, name, [_cast(name, param_type, v) for v in value])
        else:
            if is_list:
                raise ValueError("Must pass a list for multi-valued parameter: %s." % name)
            setattr(self, name, _cast(name, param_type, value))

    def del_hparam(self, name):
        """Removes hyperparameter ``name`` if it exists."""
        if name in self._hparam_types:
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values):
        """Overrides from ``"name=value,other=[v1,v2]"``; returns self."""
        parsed = {}
        for item in _split_top_level(values):
            name, sep, text = item.partition("=")
            name = name.strip()
            if not sep or not name:
                raise ValueError("Could not parse hparam assignment %r: expected name=value." % item)
            if name not in self._hparam_types:
                raise ValueError("Unknown hyperparameter type for %s" % name)
            param_type, is_list = self._hparam_types[name]
            text = text.strip()
            if text.startswith("[") and text.endswith("]"):
                parsed[name] = [_parse_scalar(name, param_type, t) for t in _split_top_level(text[1:-1])]
            else:
                parsed[name] = _parse_scalar(name, param_type, text)
        return self.override_from_dict(parsed)

    def override_from_dict(self, values_dict):
        """Sets each ``name: value`` of ``values_dict``; returns self."""
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def parse_json(self, values_json):
        """Overrides from a JSON object; returns self."""
        return self.override_from_dict(json.loads(values_json))

    def to_json(self, indent=None, separators=None, sort_keys=False):
        """The hyperparameters as a JSON object (bytes as text)."""
        def default(value):
            if isinstance(value, bytes):
                return value.decode("utf-8")
            raise TypeError("HParams.to_json: %r is not JSON serializable" % (value,))

        return json.dumps(self.values(), indent=indent, separators=separators, sort_keys=sort_keys,
                          default=default)

    def values(self):
        """``{name: value}`` of every hyperparameter."""
        return {name: getattr(self, name) for name in self._hparam_types}

    def get(self, key, default=None):
        """The value of ``key``, or ``default`` when there is no such hyperparameter."""
        return getattr(self, key) if key in self._hparam_types else default

    def set_model_structure(self, model_structure):
        self._model_structure = model_structure

    def get_model_structure(self):
        return self._model_structure

    def __contains__(self, key):
        return key in self._hparam_types

    def __str__(self):
        return str(sorted(self.values().items()))

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self.__str__())


__all__ = ["HParams"]
