"""R(2+1)D-18 and ResNet18 in torchvision's layout: parameter counts, key names, strict loading of local files."""
import pytest
import torch

from affectflow.models.backbones.r2plus1d import midplanes, r2plus1d_18
from affectflow.models.backbones.resnet import adapt_first_conv, resnet18
from affectflow.models.backbones.weights import WeightsMismatch, load_weights

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def test_parameter_counts_are_the_published_ones():
    # torchvision's weight metadata ("num_params"): R2Plus1D_18_Weights.KINETICS400_V1 = 31,505,325
    # (pytorch/vision, torchvision/models/video/resnet.py) and ResNet18_Weights.IMAGENET1K_V1 =
    # 11,689,512 (https://pytorch.org/vision/stable/models/generated/torchvision.models.resnet18)
    assert n_params(r2plus1d_18()) == 31_505_325
    assert n_params(resnet18()) == 11_689_512
    # the one-channel stem drops 2 of the 3 input channels of the 64 7×7 kernels
    assert n_params(resnet18(in_channels=1)) == 11_689_512 - 2 * 64 * 7 * 7


def test_r2plus1d_keys_and_shapes_follow_torchvision():
    sd = r2plus1d_18().state_dict()
    assert midplanes(64, 64) == 144 and midplanes(64, 128) == 230 and midplanes(256, 512) == 921 and midplanes(512, 512) == 1152
    expected = {
        "stem.0.weight": (45, 3, 1, 7, 7), "stem.3.weight": (64, 45, 3, 1, 1), "stem.4.running_var": (64,),
        "layer1.0.conv1.0.0.weight": (144, 64, 1, 3, 3),  # spatial conv of the (2+1)D pair
        "layer1.0.conv1.0.1.weight": (144,),               # its BN
        "layer1.0.conv1.0.3.weight": (64, 144, 3, 1, 1),   # temporal conv
        "layer1.0.conv1.1.weight": (64,),                  # block BN after the pair
        "layer2.0.conv1.0.0.weight": (230, 64, 1, 3, 3),
        "layer2.0.conv2.0.0.weight": (230, 128, 1, 3, 3),  # conv2 keeps conv1's mid-planes, as torchvision
        "layer2.0.downsample.0.weight": (128, 64, 1, 1, 1), "layer2.0.downsample.1.running_mean": (128,),
        "layer4.0.conv2.0.0.weight": (921, 512, 1, 3, 3), "layer4.1.conv2.0.3.weight": (512, 1152, 3, 1, 1),
        "fc.weight": (400, 512), "fc.bias": (400,),
    }
    for key, shape in expected.items():
        assert tuple(sd[key].shape) == shape, key
    assert "layer1.0.downsample.0.weight" not in sd and len(sd) == 224


def test_resnet18_keys_and_shapes_follow_torchvision():
    sd = resnet18().state_dict()
    expected = {"conv1.weight": (64, 3, 7, 7), "bn1.num_batches_tracked": (), "layer1.0.conv1.weight": (64, 64, 3, 3),
                "layer2.0.downsample.0.weight": (128, 64, 1, 1), "layer2.0.downsample.1.bias": (128,),
                "layer4.1.bn2.running_var": (512,), "fc.weight": (1000, 512)}
    for key, shape in expected.items():
        assert tuple(sd[key].shape) == shape, key
    assert len(sd) == 122


def _randomised(model, seed):
    g = torch.Generator().manual_seed(seed)
    state = {}
    for k, v in model.state_dict().items():
        if v.dtype.is_floating_point:
            state[k] = torch.rand(v.shape, generator=g) + 0.5 if k.endswith("running_var") else torch.randn(v.shape, generator=g) * 0.05
        else:
            state[k] = v.clone()
    return state


@pytest.mark.parametrize("make,x", [(r2plus1d_18, torch.randn(2, 3, 4, 16, 16)), (resnet18, torch.randn(2, 3, 32, 32))])
def test_a_random_state_dict_in_the_layout_round_trips_through_a_file(tmp_path, make, x):
    state = _randomised(make(), seed=1)
    path = tmp_path / "weights.pth"
    torch.save(state, path)
    a, b = make().eval(), make(path).eval()
    a.load_state_dict(state, strict=True)
    with torch.no_grad():
        ya, yb, fresh = a(x), b(x), make().eval()(x)
    assert torch.equal(ya, yb)
    assert not torch.allclose(ya, fresh)  # the file's weights are what is used
    # a checkpoint wrapping the state dict loads too
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "ckpt.pth")
    with torch.no_grad():
        assert torch.equal(make(tmp_path / "ckpt.pth").eval()(x), ya)


def test_a_file_that_does_not_fit_is_an_error_naming_the_file_and_the_keys(tmp_path):
    state = resnet18().state_dict()
    state["head.weight"] = state.pop("fc.weight")
    state["conv1.weight"] = torch.zeros(64, 1, 7, 7)
    path = tmp_path / "other.pth"
    torch.save(state, path)
    with pytest.raises(WeightsMismatch) as err:
        resnet18(path)
    msg = str(err.value)
    assert str(path) in msg and "missing key(s): fc.weight" in msg and "unexpected key(s): head.weight" in msg
    assert "conv1.weight (64, 1, 7, 7) (module: (64, 3, 7, 7))" in msg
    with pytest.raises(FileNotFoundError, match="absent.pth"):
        r2plus1d_18(tmp_path / "absent.pth")
    (tmp_path / "junk.pth").write_text("not torch")
    with pytest.raises(ValueError, match="junk.pth: not a readable torch state dict"):
        load_weights(resnet18(), tmp_path / "junk.pth")


def test_one_channel_stem_answers_a_grey_image_as_the_rgb_stem_did():
    torch.manual_seed(0)
    rgb = resnet18().eval()
    x = torch.randn(2, 1, 64, 107)
    with torch.no_grad():
        expected = rgb(x.expand(-1, 3, -1, -1))
        got = adapt_first_conv(rgb, 1)(x)
    assert rgb.conv1.weight.shape == (64, 1, 7, 7)
    assert torch.allclose(got, expected, atol=1e-5)
