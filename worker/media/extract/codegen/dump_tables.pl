#!/usr/bin/perl
# Development-time helper (not used at run time): dump ExifTool's tag tables as JSON.
#
# Usage: perl dump_tables.pl TABLE... > tables.json
# Loads each named Image::ExifTool tag table and every table reachable from it through
# SubDirectory entries, plus the maker-note selector list, and prints what the Python
# generator needs: table attributes (FORMAT, FIRST_ENTRY, GROUPS, PROCESS_PROC, ...) and,
# per tag ID, the list of alternative tag definitions (Name, Format, Condition, RawConv,
# ValueConv, SubDirectory, ...).  Code references are deparsed to Perl source text.
use strict;
use warnings;
use Image::ExifTool;
use Image::ExifTool::MakerNotes;
use JSON::PP;
use B;
use B::Deparse;

my $deparse = B::Deparse->new('-q');
my (%seen, %out);
my %skip = map { $_ => 1 } qw(Table PrintConv PrintConvInv ValueConvInv RawConvInv Notes
    Description WriteCondition WriteGroup PrintHex SeparateTable TagID Index
    PrintSort ExtractInverse PrintConvColumns WriteCheck DelValue Protected Permanent
    Mandatory OffsetPair DataTag Flags);

sub code_text {
    my $code = shift;
    my $cv = B::svref_2object($code);
    my $name = $cv->GV->STASH->NAME . '::' . $cv->GV->NAME;
    return { code => $name } unless $name =~ /__ANON__$/;
    return { code => $name, perl => $deparse->coderef2text($code) };
}

sub clean {
    my ($v, $depth) = @_;
    return undef if $depth > 8;
    my $type = ref $v;
    return code_text($v) if $type eq 'CODE';
    if ($type eq 'HASH') {
        return { table => $v->{TABLE_NAME} } if exists $v->{TABLE_NAME};
        return { map { $_ => clean($v->{$_}, $depth + 1) } keys %$v };
    }
    return [ map { clean($_, $depth + 1) } @$v ] if $type eq 'ARRAY';
    return { scalar_ref => $$v } if $type eq 'SCALAR';
    return defined $v ? "$v" : undef;
}

sub dump_table {
    my $name = shift;
    return if $seen{$name}++;
    my $table = eval { Image::ExifTool::GetTagTable($name) } or return;
    my (%meta, %tags);
    foreach my $key (keys %$table) {
        my $value = $table->{$key};
        next if $key eq 'TABLE_NAME';
        if ($key =~ /^[A-Z][A-Z_0-9]+$/ and not ref $value eq 'HASH' || $key =~ /^(GROUPS|VARS|NAMESPACE)$/) {
            $meta{$key} = clean($value, 0);
            next;
        }
        $meta{$key} = clean($value, 0), next if $key =~ /^(GROUPS|VARS|NAMESPACE)$/;
        my @infos = ref $value eq 'ARRAY' ? @$value : ($value);
        my @list;
        foreach my $info (@infos) {
            unless (ref $info eq 'HASH') {
                push @list, { Name => "$info" };
                next;
            }
            my %entry;
            foreach my $field (keys %$info) {
                next if $skip{$field};
                $entry{$field} = clean($info->{$field}, 0);
            }
            push @list, \%entry;
            my $sub = $info->{SubDirectory};
            dump_table($sub->{TagTable}) if ref $sub eq 'HASH' and $sub->{TagTable};
        }
        $tags{$key} = \@list;
    }
    $out{$name} = { meta => \%meta, tags => \%tags };
}

dump_table($_) foreach @ARGV;
my @makers;
foreach my $info (@Image::ExifTool::MakerNotes::Main) {
    my %entry = map { $skip{$_} ? () : ($_ => clean($info->{$_}, 0)) } keys %$info;
    push @makers, \%entry;
    dump_table($info->{SubDirectory}{TagTable}) if $info->{SubDirectory} and $info->{SubDirectory}{TagTable};
}
$out{'MakerNotes::Main'} = { list => \@makers };
require Image::ExifTool::XMP;
$out{'XMP::nsURI'} = { map { $_ => "$Image::ExifTool::XMP::nsURI{$_}" } keys %Image::ExifTool::XMP::nsURI };
$out{'XMP::stdXlatNS'} = { %Image::ExifTool::XMP::stdXlatNS };
print JSON::PP->new->ascii->canonical->pretty->encode(\%out);
