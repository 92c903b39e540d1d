using Precision.Clinical;

namespace Precision.Cohort;

/// <summary>
/// Biomarker prevalences the cohort samples from, per cancer type (approximate published US figures; the source of each is
/// in docs/cohort.md). Drivers within a cancer type are mutually exclusive where the literature says they rarely co-occur.
/// </summary>
public static class Prevalences
{
    public const double NsclcEgfr = 0.15;
    public const double NsclcAlk = 0.04;
    public const double NsclcRos1 = 0.015;
    public const double NsclcKrasG12C = 0.13;
    public const double NsclcKrasOther = 0.12;
    public const double NsclcPdL1AtLeast50 = 0.30;
    public const double NsclcPdL1From1To49 = 0.35;

    public const double CrcBrafV600E = 0.09;
    public const double CrcKrasG12C = 0.03;
    public const double CrcKrasOther = 0.40;
    public const double CrcErbb2Amplification = 0.03;
    public const double CrcMsiHighStageTwoToThree = 0.15;
    public const double CrcMsiHighStageFour = 0.04;

    public const double BreastErbb2Amplification = 0.17;
    public const double BreastHrPositiveIfHer2 = 0.50;
    public const double BreastHrPositiveIfHer2Negative = 0.75;
    public const double BreastGermlineBrca = 0.05;

    public const double MelanomaBrafV600E = 0.45;

    public const double OvarianBrca = 0.18;
    public const double OvarianMsiHigh = 0.02;

    public const double PancreaticKrasOther = 0.85;
    public const double PancreaticGermlineBrca = 0.06;

    /// <summary>NTRK fusion in any cancer type (rare; enriched only in tumour types outside this cohort).</summary>
    public const double NtrkFusion = 0.003;

    public const double OtherMsiHigh = 0.005;

    public static double MsiHigh(CancerType type, bool stageFour) => type switch
    {
        CancerType.ColorectalCancer => stageFour ? CrcMsiHighStageFour : CrcMsiHighStageTwoToThree,
        CancerType.OvarianCancer => OvarianMsiHigh,
        _ => OtherMsiHigh,
    };
}
