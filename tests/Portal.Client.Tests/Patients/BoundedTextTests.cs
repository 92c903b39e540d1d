using Bunit;
using Precision.Portal.Client.Components;

namespace Precision.Portal.Client.Tests.Patients;

public sealed class BoundedTextTests : BunitContext
{
    [Fact]
    public void Short_text_is_shown_as_is_without_a_title()
    {
        var cut = Render<BoundedText>(p => p.Add(c => c.Text, "Liver").Add(c => c.TestId, "t"));

        var span = cut.Find("[data-testid=t]");
        Assert.Equal("Liver", span.TextContent);
        Assert.False(span.HasAttribute("title"));
        Assert.False(span.HasAttribute("data-shortened"));
    }

    [Fact]
    public void Long_text_is_cut_to_the_limit_with_an_ellipsis_and_the_whole_text_in_the_title()
    {
        var text = new string('a', 150);

        var cut = Render<BoundedText>(p => p.Add(c => c.Text, text).Add(c => c.MaxLength, 100));

        var span = cut.Find(".bounded-text");
        Assert.Equal(new string('a', 99) + "…", span.TextContent);
        Assert.Equal(text, span.GetAttribute("title"));
        Assert.Equal("true", span.GetAttribute("data-shortened"));
    }

    [Fact]
    public void Missing_text_shows_the_fallback()
    {
        var cut = Render<BoundedText>(p => p.Add(c => c.Text, null).Add(c => c.Fallback, "unknown"));

        Assert.Equal("unknown", cut.Find(".bounded-text").TextContent);
    }

    [Theory]
    [InlineData("exactly10!", 10, "exactly10!")]
    [InlineData("line one\n\n\tline two", 100, "line one line two")]
    [InlineData("  padded  ", 100, "padded")]
    [InlineData("abcdefghijk", 10, "abcdefghi…")]
    [InlineData("word word word", 10, "word word…")]
    [InlineData("", 10, "")]
    public void Shortening_collapses_whitespace_and_cuts_at_the_limit(string text, int max, string expected) =>
        Assert.Equal(expected, TextBounds.Shorten(text, max));

    [Fact]
    public void Shortening_never_splits_a_surrogate_pair()
    {
        var text = new string('a', 8) + "😀😀😀";

        var shown = TextBounds.Shorten(text, 10);

        Assert.Equal(new string('a', 8) + "…", shown);
    }

    [Fact]
    public void Shortening_never_splits_a_letter_from_its_accent()
    {
        var text = new string('a', 8) + "e\u0301e\u0301e\u0301";

        var shown = TextBounds.Shorten(text, 10);

        Assert.Equal(new string('a', 8) + "…", shown);
    }

    [Fact]
    public void A_title_longer_than_the_cap_is_capped_and_says_the_records_length()
    {
        var title = TextBounds.Title(new string('b', 10_000));

        Assert.StartsWith(new string('b', TextBounds.MaxTitleLength) + "…", title, StringComparison.Ordinal);
        Assert.EndsWith("(10,000 characters in the record)", title, StringComparison.Ordinal);
    }
}
