using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Precision.Training.Model;

/// <summary>
/// One ensemble member: a genomic encoder and a clinical encoder whose outputs form the patient embedding, a therapy
/// embedding, and a head over [patient, therapy, patient ⊙ therapy] that gives the logit of response. Conditioning on
/// the therapy lets one forward pass score any catalog therapy; the product term carries biomarker × therapy effects.
/// </summary>
public sealed class EfficacyNetwork : nn.Module<Tensor, Tensor, Tensor, (Tensor Logit, Tensor Embedding)>
{
    private readonly Sequential _genomic;
    private readonly Sequential _clinical;
    private readonly Linear _therapy;
    private readonly Sequential _head;

    public EfficacyNetwork(int clinicalWidth, int genomicWidth, int therapyCount, int hidden = 32, int embedding = 16)
        : base(nameof(EfficacyNetwork))
    {
        _genomic = nn.Sequential(("g1", nn.Linear(genomicWidth, hidden)), ("g_relu", nn.ReLU()), ("g2", nn.Linear(hidden, embedding)));
        _clinical = nn.Sequential(("c1", nn.Linear(clinicalWidth, hidden)), ("c_relu", nn.ReLU()), ("c2", nn.Linear(hidden, embedding)));
        _therapy = nn.Linear(therapyCount, 2 * embedding, hasBias: false);
        _head = nn.Sequential(("h1", nn.Linear(6 * embedding, hidden)), ("h_relu", nn.ReLU()), ("h2", nn.Linear(hidden, 1)));
        EmbeddingWidth = 2 * embedding;
        RegisterComponents();
    }

    /// <summary>Width of the patient embedding (clinical and genomic parts side by side).</summary>
    public int EmbeddingWidth { get; }

    public override (Tensor Logit, Tensor Embedding) forward(Tensor clinical, Tensor genomic, Tensor therapy)
    {
        var patient = cat([_clinical.forward(clinical), _genomic.forward(genomic)], 1);
        var conditioned = _therapy.forward(therapy);
        var logit = _head.forward(cat([patient, conditioned, patient * conditioned], 1)).squeeze(1);
        return (logit, patient);
    }
}
