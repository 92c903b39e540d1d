using MudBlazor;

namespace Precision.Portal.Client.Layout;

/// <summary>Colours chosen for WCAG AA contrast on both palettes.</summary>
public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#0b5cad",
            Secondary = "#5b3f99",
            AppbarBackground = "#0b3d6e",
            Warning = "#8a5a00",
            Error = "#b3261e",
            Success = "#1b6e3a",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7fb6ff",
            Secondary = "#c7b2ff",
            AppbarBackground = "#10243a",
            Warning = "#ffb74d",
        },
    };
}
