using Precision.Inference.Features;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Precision.Training.Model;

/// <summary>
/// One ensemble member: a genomic encoder and a clinical encoder whose outputs form the patient embedding, a therapy
/// embedding, and a head over [patient, therapy, patient ⊙ therapy, catalog prior, re-challenge] that gives the logit of response.
/// Conditioning on the therapy lets one forward pass score any catalog therapy; the product term carries biomarker ×
/// therapy effects. The head's output is added to the logit of the catalog's published rate (<see cref="CatalogPrior"/>):
/// the network learns how this patient departs from the evidence, so rare biomarker–therapy pairs start from their
/// published rate instead of from what the network saw in a handful of patients.
/// </summary>
public sealed class EfficacyNetwork : nn.Module<Tensor, Tensor, Tensor, (Tensor Logit, Tensor Embedding)>
{
    private readonly Sequential _genomic;
    private readonly Sequential _clinical;
    private readonly Linear _therapy;
    private readonly Sequential _head;
    private readonly CatalogPrior _prior;

    public EfficacyNetwork(int clinicalWidth, int genomicWidth, int therapyCount, CatalogPrior prior, int hidden = 32, int embedding = 16)
        : base(nameof(EfficacyNetwork))
    {
        _prior = prior ?? throw new ArgumentNullException(nameof(prior));
        _genomic = nn.Sequential(("g1", nn.Linear(genomicWidth, hidden)), ("g_relu", nn.ReLU()), ("g2", nn.Linear(hidden, embedding)));
        _clinical = nn.Sequential(("c1", nn.Linear(clinicalWidth, hidden)), ("c_relu", nn.ReLU()), ("c2", nn.Linear(hidden, embedding)));
        _therapy = nn.Linear(therapyCount, 2 * embedding, hasBias: false);
        // With the V2 layout the head also takes the row's re-challenge indicator (progressed on this therapy before).
        _head = nn.Sequential(("h1", nn.Linear((6 * embedding) + 2 + (prior.ProgressedOn is null ? 0 : 1), hidden)), ("h_relu", nn.ReLU()), ("h2", nn.Linear(hidden, 1)));
        EmbeddingWidth = 2 * embedding;
        RegisterComponents();
    }

    /// <summary>Width of the patient embedding (clinical and genomic parts side by side).</summary>
    public int EmbeddingWidth { get; }

    public CatalogPrior Prior => _prior;

    public override (Tensor Logit, Tensor Embedding) forward(Tensor clinical, Tensor genomic, Tensor therapy)
    {
        var (priorLogit, biomarkerContext) = PriorOf(_prior, clinical, genomic, therapy);
        var patient = cat([_clinical.forward(clinical), _genomic.forward(genomic)], 1);
        var conditioned = _therapy.forward(therapy);
        Tensor[] headInput = RechallengeOf(_prior, clinical, therapy) is { } rechallenge
            ? [patient, conditioned, patient * conditioned, priorLogit, biomarkerContext, rechallenge]
            : [patient, conditioned, patient * conditioned, priorLogit, biomarkerContext];
        var residual = _head.forward(cat(headInput, 1));
        return ((residual + priorLogit).squeeze(1), patient);
    }

    /// <summary>[N, 1]: 1 where the row's therapy is one the patient progressed on before (null without those features).</summary>
    public static Tensor? RechallengeOf(CatalogPrior prior, Tensor clinical, Tensor therapy)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(clinical);
        if (prior.ProgressedOn is null)
        {
            return null;
        }

        using var selection = tensor(prior.ProgressedOn, [prior.ClinicalWidth, prior.TherapyWidth]);
        return (clinical.matmul(selection) * therapy).sum(1, keepdim: true);
    }

    /// <summary>
    /// The catalog prior as tensors, [N, 1] each: logit of the published rate and 1 where a biomarker-defined context matched.
    /// The ONNX export writes exactly these operations.
    /// </summary>
    public static (Tensor Logit, Tensor BiomarkerContext) PriorOf(CatalogPrior prior, Tensor clinical, Tensor genomic, Tensor therapy)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(clinical);
        var j = prior.Entries.Count;
        using var cancerApplies = tensor(prior.CancerApplies, [prior.ClinicalWidth, j]);
        using var lineWeight = tensor(prior.LineWeight, [prior.ClinicalWidth, j]);
        using var lineBias = tensor(prior.LineBias, [j]);
        using var biomarkerPresent = tensor(prior.BiomarkerPresent, [prior.GenomicWidth, j]);
        using var biomarkerExcluded = tensor(prior.BiomarkerExcluded, [prior.GenomicWidth, j]);
        using var notRequired = tensor(prior.BiomarkerNotRequired, [j]);
        using var therapyIs = tensor(prior.TherapyIs, [prior.TherapyWidth, j]);
        using var score = tensor(prior.Score, [j]);
        var biomarker = (genomic.matmul(biomarkerPresent) + notRequired).clamp_max(1f);
        var allowed = 1f - genomic.matmul(biomarkerExcluded).clamp_max(1f);
        var cancer = clinical.matmul(cancerApplies) * (clinical.matmul(lineWeight) + lineBias);
        var matched = cancer * (biomarker * allowed) * therapy.matmul(therapyIs) * score;
        var best = matched.max(1, keepdim: true).values;
        var tier = best.floor();
        var rate = (best - tier).clamp(CatalogPrior.MinimumRate, CatalogPrior.MaximumRate);
        return ((rate / (1f - rate)).log(), (tier - 1f).clamp(0f, 1f));
    }
}
