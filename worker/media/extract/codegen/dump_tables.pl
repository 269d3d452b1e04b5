#!/usr/bin/perl
# Dump the installed ExifTool's tag tables as JSON, for exifq's table generator.
#
# Usage: perl [-I LIB] dump_tables.pl TABLE... > tables.json
# Loads each named Image::ExifTool tag table and every table reachable from it through
# SubDirectory entries, plus the maker-note selector list, and prints what the Python
# generator needs: table attributes (FORMAT, FIRST_ENTRY, GROUPS, PROCESS_PROC,
# PRINT_CONV, ...) and, per tag ID, the list of alternative tag definitions (Name, Format,
# Condition, RawConv, ValueConv, PrintConv, SubDirectory, ...). Code references are
# deparsed to Perl source text. Hashes shared by several tags (lens lists, common
# PrintConv lookups) are printed once, under "_shared", and referenced by id.
use strict;
use warnings;
use Image::ExifTool;
use Image::ExifTool::MakerNotes;
use JSON::PP;
use B;
use B::Deparse;
use Scalar::Util qw(refaddr);

my $deparse = B::Deparse->new('-q');
my (%seen, %out, %shared, %deparsed);
my %skip = map { $_ => 1 } qw(Table PrintConvInv ValueConvInv RawConvInv Notes
    Description WriteCondition WriteGroup SeparateTable TagID Index
    PrintSort ExtractInverse PrintConvColumns WriteCheck DelValue Protected Permanent
    Mandatory OffsetPair DataTag Flags);

sub code_text {
    my $code = shift;
    my $cv = B::svref_2object($code);
    my $name = $cv->GV->STASH->NAME . '::' . $cv->GV->NAME;
    return { code => $name } unless $name =~ /__ANON__$/;
    my $text = $deparsed{refaddr($code)} //= $deparse->coderef2text($code);
    return { code => $name, perl => $text };
}

sub clean {
    my ($v, $depth) = @_;
    return undef if $depth > 8;
    my $type = ref $v;
    return code_text($v) if $type eq 'CODE';
    if ($type eq 'HASH') {
        return { table => $v->{TABLE_NAME} } if exists $v->{TABLE_NAME};
        if (keys(%$v) > 8) {    # probably shared (a lens list): print it once
            my $id = 'H' . refaddr($v);
            $shared{$id} = { map { $_ => clean($v->{$_}, $depth + 1) } keys %$v }
                unless $shared{$id};
            return { shared => $id };
        }
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
        if ($key =~ /^(GROUPS|VARS|NAMESPACE|PRINT_CONV)$/ or
            ($key =~ /^[A-Z][A-Z_0-9]+$/ and ref $value ne 'HASH'))
        {
            $meta{$key} = clean($value, 0);
            next;
        }
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
no warnings 'once';
$out{'XMP::nsURI'} = { map { $_ => "$Image::ExifTool::XMP::nsURI{$_}" } keys %Image::ExifTool::XMP::nsURI };
$out{'XMP::stdXlatNS'} = { %Image::ExifTool::XMP::stdXlatNS };
# data that helpers keep in lexical variables (my %x = ...), taken from the subs' pads
require Image::ExifTool::IPTC;
require Image::ExifTool::ID3;
eval { require 'Image/ExifTool/WriteIPTC.pl' };
foreach my $name (qw(Image::ExifTool::Minolta::ConvertWhiteBalance
                     Image::ExifTool::IPTC::ConvertPictureNumber
                     Image::ExifTool::Pentax::PrintFilter Image::ExifTool::Sony::PrintLensSpec
                     Image::ExifTool::Pentax::AFPointNamesK3III
                     Image::ExifTool::ID3::PrintGenre))
{
    no strict 'refs';
    next unless defined &{$name};
    my $cv = B::svref_2object(\&{$name});
    next unless $cv->can('PADLIST') and ${$cv->PADLIST};
    my ($names, $values) = $cv->PADLIST->ARRAY;
    my @names = $names->ARRAY;
    my @values = $values->ARRAY;
    foreach my $i (1 .. $#names) {
        my $pad = $names[$i];
        next unless $pad->can('PV') and defined $pad->PV and $pad->PV =~ /^[%@]\w+$/;
        my $ref = $values[$i]->object_2svref;
        my $v = $pad->PV =~ /^%/ ? clean($ref, 0) : [ map { clean($_, 1) } @$ref ];
        $v = $shared{$$v{shared}} if ref $v eq 'HASH' and $$v{shared};
        $out{'_helper_data'}{$name}{$pad->PV} = $v;
    }
}
$out{'_helper_data'}{'Image::ExifTool::IPTC::PrintCodedCharset'}{'%iptcCharset'} =
    { %Image::ExifTool::IPTC::iptcCharset };
$out{'_shared'} = \%shared;
$out{'_exiftool'} = { version => "$Image::ExifTool::VERSION", module => $INC{'Image/ExifTool.pm'} };
# ASCII: QuickTime's tag IDs hold byte 0xa9 ('\xa9mak'), which would reach Python as Latin-1
print JSON::PP->new->ascii->canonical->encode(\%out);
