"""references(): the names a text reads, for dependency inference and validation."""
from dflow_nb.expressions import references


def test_simple_tags():
    assert references("echo {{inputs.parameters.x}} {{ steps.a-b.outputs.result }}") == \
        ["inputs.parameters.x", "steps.a-b.outputs.result"]


def test_expression_paths_are_normalised():
    assert references("{{= steps['a'].outputs.parameters.p }}") == ["steps.a.outputs.parameters.p"]
    assert references("{{=asInt(tasks.t1.outputs.result) + asInt(inputs.parameters['my-p'])}}") == \
        ["tasks.t1.outputs.result", "inputs.parameters.my-p"]


def test_order_and_uniqueness():
    text = "{{a.b}} {{= a.b + c.d }} {{c.d}} {{= e ?? f }}"
    assert references(text) == ["a.b", "c.d", "e", "f"]


def test_functions_sprig_closures_and_lets_are_not_references():
    text = ("{{= toJson(map(sprig.untilStep(0, len(sprig.fromJson(steps.s.outputs.result)), 1),"
            " { {'order': #, 'value': jsonpath(steps.s.outputs.result, '$')[#]} })) }}")
    assert references(text) == ["steps.s.outputs.result"]
    assert references("{{= let v = inputs.parameters.x; v + v }}") == ["inputs.parameters.x"]
    assert references("{{= map(items.list, #.name) }}") == ["items.list"]


def test_dynamic_indexes_stop_the_path():
    assert references("{{= steps.a.outputs.parameters[inputs.parameters.k] }}") == \
        ["steps.a.outputs.parameters", "inputs.parameters.k"]


def test_no_tags():
    assert references("plain text") == []
