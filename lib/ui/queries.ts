/**
 * @module
 * The GraphQL documents the UI runs through `runSearch`, against zot's schema (the same fields
 * zui asks for), and the shapes of their answers. Arguments travel as variables, never spliced
 * into the text, so no search box input can change a query.
 */

export interface Platform {
  Os: string | null
  Arch: string | null
}

export interface SignatureSummary {
  Tool: string | null
  IsTrusted: boolean | null
  Author: string | null
}

export interface ImageCard {
  RepoName?: string | null
  Tag: string | null
  Description: string | null
  IsSigned: boolean | null
  Title: string | null
  Vendor: string | null
  Licenses: string | null
}

export interface RepoCard {
  Name: string
  LastUpdated: string | null
  Size: string | null
  Platforms: Platform[] | null
  IsStarred: boolean | null
  IsBookmarked: boolean | null
  StarCount: number | null
  DownloadCount: number | null
  NewestImage: ImageCard | null
}

export interface PageInfo {
  TotalCount: number
  ItemCount: number
}

const REPO_CARD = `fragment RepoCard on RepoSummary {
  Name LastUpdated Size Platforms { Os Arch } IsStarred IsBookmarked StarCount DownloadCount
  NewestImage { Tag Description IsSigned Title Vendor Licenses }
}`

export type SortCriteria = 'RELEVANCE' | 'UPDATE_TIME' | 'ALPHABETIC_ASC' | 'ALPHABETIC_DSC' | 'STARS' | 'DOWNLOADS'

export interface SearchFilter {
  Os?: string[]
  Arch?: string[]
  HasToBeSigned?: boolean
  IsStarred?: boolean
  IsBookmarked?: boolean
}

export interface PageInput {
  limit: number
  offset: number
  sortBy?: SortCriteria
}

/** Home: recently updated and most downloaded repositories, and the viewer's stars. */
export const HOME = `query Home($recent: PageInput, $popular: PageInput, $starred: PageInput, $signedIn: Boolean!) {
  Recent: GlobalSearch(query: "", requestedPage: $recent) { Page { TotalCount ItemCount } Repos { ...RepoCard } }
  Popular: GlobalSearch(query: "", requestedPage: $popular) { Page { TotalCount ItemCount } Repos { ...RepoCard } }
  Starred: StarredRepos(requestedPage: $starred) @include(if: $signedIn) { Results { ...RepoCard } }
}
${REPO_CARD}`

export interface HomeResult {
  Recent: { Page: PageInfo | null; Repos: RepoCard[] | null }
  Popular: { Repos: RepoCard[] | null }
  Starred?: { Results: RepoCard[] }
}

export interface ImageHit {
  RepoName: string | null
  Tag: string | null
  Digest: string | null
  Description: string | null
  IsSigned: boolean | null
  LastUpdated: string | null
  Size: string | null
  Manifests: { Platform: Platform | null }[] | null
}

/** Explore: repositories (or `repo:tag` images) matching text and filters, one page. */
export const EXPLORE = `query Explore($query: String!, $filter: Filter, $page: PageInput) {
  GlobalSearch(query: $query, filter: $filter, requestedPage: $page) {
    Page { TotalCount ItemCount }
    Repos { ...RepoCard }
    Images { RepoName Tag Digest Description IsSigned LastUpdated Size Manifests { Platform { Os Arch } } }
  }
}
${REPO_CARD}`

export interface ExploreResult {
  GlobalSearch: { Page: PageInfo | null; Repos: RepoCard[] | null; Images: ImageHit[] | null }
}

/** Suggestions under the search box: names only. */
export const SUGGEST = `query Suggest($query: String!) {
  GlobalSearch(query: $query, requestedPage: { limit: 8, offset: 0, sortBy: RELEVANCE }) {
    Repos { Name }
    Images { RepoName Tag }
  }
}`

export interface SuggestResult {
  GlobalSearch: { Repos: { Name: string }[] | null; Images: { RepoName: string; Tag: string }[] | null }
}

export interface ManifestRow {
  Digest: string | null
  Platform: Platform | null
  Size: string | null
}

export interface TagRow {
  Tag: string
  Digest: string | null
  MediaType: string | null
  LastUpdated: string | null
  Size: string | null
  IsSigned: boolean | null
  IsDeletable: boolean | null
  SignatureInfo: SignatureSummary[] | null
  Manifests: ManifestRow[] | null
}

/** The repository page. */
export const REPOSITORY = `query Repository($repo: String!) {
  ExpandedRepoInfo(repo: $repo) {
    Images {
      Tag Digest MediaType LastUpdated Size IsSigned IsDeletable SignatureInfo { Tool IsTrusted Author }
      Manifests { Digest Platform { Os Arch } Size }
    }
    Summary {
      Name LastUpdated Size Platforms { Os Arch } Vendors IsStarred IsBookmarked StarCount DownloadCount
      NewestImage { Tag Title Description Source Documentation Licenses Vendor Authors }
    }
  }
}`

export interface Annotated {
  Title: string | null
  Description: string | null
  Source: string | null
  Documentation: string | null
  Licenses: string | null
  Vendor: string | null
  Authors: string | null
}

export interface RepositoryResult {
  ExpandedRepoInfo: {
    Images: TagRow[] | null
    Summary: {
      Name: string | null
      LastUpdated: string | null
      Size: string | null
      Platforms: Platform[] | null
      Vendors: string[] | null
      IsStarred: boolean | null
      IsBookmarked: boolean | null
      StarCount: number | null
      DownloadCount: number | null
      NewestImage: (Annotated & { Tag: string | null }) | null
    } | null
  }
}

export interface Referrer {
  MediaType: string | null
  ArtifactType: string | null
  Size: number | null
  Digest: string | null
  Annotations: { Key: string | null; Value: string | null }[]
}

export interface LayerSummary {
  Size: string | null
  Digest: string | null
}

export interface ManifestDetail {
  Digest: string | null
  ConfigDigest: string | null
  LastUpdated: string | null
  Size: string | null
  IsSigned: boolean | null
  SignatureInfo: SignatureSummary[] | null
  Platform: Platform | null
  ArtifactType: string | null
  DownloadCount: number | null
  Layers: LayerSummary[] | null
  History:
    | {
        Layer: LayerSummary | null
        HistoryDescription: {
          Created: string | null
          CreatedBy: string | null
          Comment: string | null
          EmptyLayer: boolean | null
        } | null
      }[]
    | null
  Referrers: Referrer[] | null
}

const REFERRER = 'MediaType ArtifactType Size Digest Annotations { Key Value }'

/** The image page: one tag, every manifest of it (platforms of an index). */
export const IMAGE = `query Image($image: String!) {
  Image(image: $image) {
    RepoName Tag Digest MediaType Size LastUpdated PushTimestamp DownloadCount ArtifactType IsDeletable
    IsSigned SignatureInfo { Tool IsTrusted Author }
    Title Description Source Documentation Licenses Vendor Authors
    Referrers { ${REFERRER} }
    Manifests {
      Digest ConfigDigest LastUpdated Size IsSigned SignatureInfo { Tool IsTrusted Author } Platform { Os Arch }
      ArtifactType DownloadCount Layers { Size Digest }
      History { Layer { Size Digest } HistoryDescription { Created CreatedBy Comment EmptyLayer } }
      Referrers { ${REFERRER} }
    }
  }
}`

export interface ImageResult {
  Image:
    | (Annotated & {
        RepoName: string | null
        Tag: string | null
        Digest: string | null
        MediaType: string | null
        Size: string | null
        LastUpdated: string | null
        PushTimestamp: string | null
        DownloadCount: number | null
        ArtifactType: string | null
        IsDeletable: boolean | null
        IsSigned: boolean | null
        SignatureInfo: SignatureSummary[] | null
        Referrers: Referrer[] | null
        Manifests: ManifestDetail[] | null
      })
    | null
}
